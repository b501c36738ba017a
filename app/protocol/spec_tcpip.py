"""The TCP/IP commands of the application note, chapter 2.3: AT+QIOPEN, QICLOSE,
QISTATE, QISEND, QPING, QNTP, QIDNSGIP, QIDNSCFG and QICFG, with every form,
parameter and range the spec gives."""

from __future__ import annotations

from collections.abc import Mapping

from app.protocol.params import (
    ACCESS_MODE,
    AUTO_SET_TIME,
    CONNECT_ID,
    CONTEXT_ID,
    DATA,
    DATAFORMAT_KEY,
    HOST,
    HOSTNAME,
    LOCAL_PORT,
    NTP_PORT,
    NTP_SERVER,
    PING_HOST,
    PING_NUM,
    PING_SIZE,
    PRI_DNS,
    QUERY_TYPE_CONNECT,
    QUERY_TYPE_CONTEXT,
    QUERY_ZERO,
    RAI_ENABLE,
    RAI_MODE,
    RECV_DATA_FORMAT,
    REMOTE_IP,
    REMOTE_PORT,
    SEC_DNS,
    SEND_DATA_FORMAT,
    SEND_LENGTH,
    SERVICE_TYPE,
    SHOWRA_KEY,
    SHOWRA_MODE,
    TIME_OUT,
    UDP_REMOTE_PORT,
    CommandSpec,
    Completion,
    DataModeKind,
    Deferred,
    FormSpec,
    ParamError,
    Value,
)
from app.protocol.syntax import Form


def _qiopen_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # §2.3.1 <local_port>: "If <service_type> is "TCP LISTENER" or "UDP SERVICE",
    # this parameter must be specified. Range: 1-65535."
    service = v.get("service_type")
    local = v.get("local_port")
    remote = v.get("remote_port")
    if service in ("TCP LISTENER", "UDP SERVICE"):
        if not isinstance(local, int) or not 1 <= local <= 65535:
            raise ParamError(
                "local_port",
                local if local is not None else "(missing)",
                "1-65535",
                f"required for {service}",
            )
    elif isinstance(remote, int) and remote == 0:
        # §2.3.1 <remote_port> range 1-65535; chapter 4.3 passes 0 for a
        # TCP LISTENER (ignored there), so 0 is only refused for clients.
        raise ParamError("remote_port", 0, "1-65535", f"required for a {service} client")


def _qicfg_cross(form: FormSpec, v: Mapping[str, Value]) -> None:
    # §2.3.9: AT+QICFG="dataformat"[,<send_data_format>,<recv_data_format>]: both or none.
    if form.key == "qicfg.dataformat":
        send, recv = v.get("send_data_format"), v.get("recv_data_format")
        if (send is None) != (recv is None):
            missing = "recv_data_format" if recv is None else "send_data_format"
            raise ParamError(missing, "(missing)", "0, 1", "give both formats or neither")


TCPIP: tuple[CommandSpec, ...] = (
    CommandSpec(
        "+QIOPEN",
        "Open a Socket Service",
        "2.3.1",
        "Open a TCP/UDP client, TCP LISTENER or UDP SERVICE; +QIOPEN: <connectID>,<result> "
        "follows (wait up to 60 s).",
        (
            FormSpec(
                Form.TEST,
                "AT+QIOPEN=?",
                "List the supported parameter ranges.",
                '+QIOPEN: (range of <contextID>s),(range of <connectID>s),"TCP/UDP/TCP '
                'LISTENER/UDP SERVICE",<host>,(range of <remote_port>s),(range of '
                "<local_port>s),(list of <access_mode>s)",
                key="qiopen.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIOPEN=<contextID>,<connectID>,<service_type>,<host>,<remote_port>"
                "[,<local_port>[,<access_mode>]]",
                "Open a socket service.",
                "OK, then +QIOPEN: <connectID>,<result>",
                (CONTEXT_ID, CONNECT_ID, SERVICE_TYPE, HOST, REMOTE_PORT, LOCAL_PORT, ACCESS_MODE),
                required=5,
                deferred=Deferred.QIOPEN,
                key="qiopen.write",
            ),
        ),
        deferred_timeout=60.0,
        cross_check=_qiopen_cross,
    ),
    CommandSpec(
        "+QICLOSE",
        "Close a Socket Service",
        "2.3.2",
        "Close a socket service; OK then CLOSE OK.",
        (
            FormSpec(
                Form.TEST,
                "AT+QICLOSE=?",
                "List the supported <connectID>s.",
                "+QICLOSE: (range of <connectID>s)",
                key="qiclose.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QICLOSE=<connectID>",
                "Close the socket.",
                "OK, then CLOSE OK",
                (CONNECT_ID,),
                required=1,
                completion=Completion.CLOSE,
                key="qiclose.write",
            ),
        ),
    ),
    CommandSpec(
        "+QISTATE",
        "Query Socket Service Status",
        "2.3.3",
        "List sockets: service type, host, ports, state.",
        (
            FormSpec(
                Form.TEST,
                "AT+QISTATE=?",
                "List the supported query types and ranges.",
                "+QISTATE: 0,(range of <contextID>s)\n+QISTATE: 1,(range of <connectID>s)",
                key="qistate.test",
            ),
            FormSpec(
                Form.READ,
                "AT+QISTATE?",
                "Status of all existing connections.",
                "[+QISTATE: <connectID>,<service_type>,<host>,<remote_port>,<local_port>,"
                "<socket_state>,<contextID>,<access_mode>] ...",
                key="qistate.read",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISTATE=0,<contextID>",
                "Status of the connections of a context.",
                "[+QISTATE: ...] ...",
                (QUERY_TYPE_CONTEXT, CONTEXT_ID),
                required=2,
                key="qistate.context",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISTATE=1,<connectID>",
                "Status of one socket service.",
                "[+QISTATE: ...]",
                (QUERY_TYPE_CONNECT, CONNECT_ID),
                required=2,
                key="qistate.connect",
            ),
        ),
    ),
    CommandSpec(
        "+QISEND",
        "Send Hex/Text String Data",
        "2.3.4",
        "Send data inline or in data mode (> then Ctrl-Z sends, Esc cancels); "
        "AT+QISEND=<id>,0 queries sent/acked/nAcked.",
        (
            FormSpec(
                Form.TEST,
                "AT+QISEND=?",
                "List the supported ranges.",
                "+QISEND: (range of <connectID>s),<remote_ip>,<remote_port>,(range of "
                "<send_length>s),<data>,(range of <rai_mode>s)",
                key="qisend.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<send_length>,<data>[,<rai_mode>]",
                "Send data in non-data mode (TCP, UDP, TCP INCOMING).",
                "OK, then SEND OK / SEND FAIL",
                (CONNECT_ID, SEND_LENGTH, DATA, RAI_MODE),
                required=3,
                completion=Completion.SEND,
                key="qisend.inline",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>",
                "Send variable-length data in data mode: > then data, Ctrl-Z sends, Esc cancels.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID,),
                required=1,
                completion=Completion.SEND,
                data_mode=DataModeKind.VARIABLE,
                key="qisend.variable",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,0",
                "Total lengths of data sent, acknowledged and not acknowledged.",
                "+QISEND: <sent>,<acked>,<nAcked>",
                (CONNECT_ID, QUERY_ZERO),
                required=2,
                key="qisend.query",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<send_length>",
                "Send fixed-length data in data mode: > then exactly <send_length> bytes.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID, SEND_LENGTH),
                required=2,
                completion=Completion.SEND,
                data_mode=DataModeKind.FIXED,
                key="qisend.fixed",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<remote_ip>,<remote_port>,<send_length>,<data>[,<rai_mode>]",
                "Send data in non-data mode on a UDP SERVICE.",
                "OK, then SEND OK / SEND FAIL",
                (CONNECT_ID, REMOTE_IP, UDP_REMOTE_PORT, SEND_LENGTH, DATA, RAI_MODE),
                required=5,
                completion=Completion.SEND,
                key="qisend.udp_inline",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<remote_ip>,<remote_port>",
                "Send variable-length data in data mode on a UDP SERVICE.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID, REMOTE_IP, UDP_REMOTE_PORT),
                required=3,
                completion=Completion.SEND,
                data_mode=DataModeKind.VARIABLE,
                key="qisend.udp_variable",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QISEND=<connectID>,<remote_ip>,<remote_port>,<send_length>",
                "Send fixed-length data in data mode on a UDP SERVICE.",
                ">, then OK and SEND OK / SEND FAIL",
                (CONNECT_ID, REMOTE_IP, UDP_REMOTE_PORT, SEND_LENGTH),
                required=4,
                completion=Completion.SEND,
                data_mode=DataModeKind.FIXED,
                key="qisend.udp_fixed",
            ),
        ),
    ),
    CommandSpec(
        "+QPING",
        "Ping a Remote Server",
        "2.3.5",
        "Ping a host: one +QPING: line per reply, then a summary.",
        (
            FormSpec(
                Form.TEST,
                "AT+QPING=?",
                "List the supported ranges.",
                "+QPING: (range of <contextID>s),<host>,(range of <time_out>s),(range of "
                "<ping_num>s),(range of <ping_size>s),(list of <rai_enable>s)",
                key="qping.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QPING=<contextID>,<host>[,<time_out>[,<ping_num>[,<ping_size>[,<rai_enable>]]]]",
                "Ping a remote server.",
                "OK, then +QPING: <result>[,<IP_address>,<bytes>,<time>,<ttl>] per reply and "
                "+QPING: <finresult>[,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>]",
                (CONTEXT_ID, PING_HOST, TIME_OUT, PING_NUM, PING_SIZE, RAI_ENABLE),
                required=2,
                deferred=Deferred.QPING,
                key="qping.write",
            ),
        ),
    ),
    CommandSpec(
        "+QNTP",
        "Synchronize Local Time through NTP Server",
        "2.3.6",
        'Ask an NTP server for UTC: +QNTP: <result>,"<time>" follows.',
        (
            FormSpec(
                Form.TEST,
                "AT+QNTP=?",
                "List the supported ranges.",
                "+QNTP: (range of <contextID>s),<server>,(range of <port>s),(list of "
                "<auto_set_time>s)",
                key="qntp.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QNTP=<contextID>,<server>[,<port>[,<auto_set_time>]]",
                "Synchronize local time.",
                "OK, then +QNTP: <result>,<time>",
                (CONTEXT_ID, NTP_SERVER, NTP_PORT, AUTO_SET_TIME),
                required=2,
                deferred=Deferred.QNTP,
                key="qntp.write",
            ),
        ),
        deferred_timeout=60.0,
    ),
    CommandSpec(
        "+QIDNSGIP",
        "Get IP Address by Domain Name",
        "2.3.7",
        "Resolve a domain name: +QIDNSGIP: <result>,<IP_count>,<DNS_ttl> then the address.",
        (
            FormSpec(
                Form.TEST,
                "AT+QIDNSGIP=?",
                "List the supported ranges.",
                "+QIDNSGIP: (range of <contextID>s),<hostname>",
                key="qidnsgip.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIDNSGIP=<contextID>,<hostname>",
                "Resolve a domain name.",
                "OK, then +QIDNSGIP: <result>,<IP_count>,<DNS_ttl> and +QIDNSGIP: <hostIPaddr>",
                (CONTEXT_ID, HOSTNAME),
                required=2,
                deferred=Deferred.QIDNSGIP,
                key="qidnsgip.write",
            ),
        ),
        deferred_timeout=60.0,
    ),
    CommandSpec(
        "+QIDNSCFG",
        "Configure DNS Server Address",
        "2.3.8",
        "Set or show the primary and secondary DNS servers.",
        (
            FormSpec(
                Form.TEST,
                "AT+QIDNSCFG=?",
                "List the supported ranges.",
                "+QIDNSCFG: (range of <contextID>s),<pridnsaddr>,<secdnsaddr>",
                key="qidnscfg.test",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIDNSCFG=<contextID>,<pridnsaddr>[,<secdnsaddr>]",
                "Configure the primary and secondary DNS server addresses.",
                "OK",
                (CONTEXT_ID, PRI_DNS, SEC_DNS),
                required=2,
                key="qidnscfg.write",
            ),
            FormSpec(
                Form.WRITE,
                "AT+QIDNSCFG=<contextID>",
                "Show the configured DNS server addresses.",
                "+QIDNSCFG: <contextID>,<pridnsaddr>,<secdnsaddr>[,<ipv6 pri>,<ipv6 sec>]",
                (CONTEXT_ID,),
                required=1,
                key="qidnscfg.query",
            ),
        ),
    ),
    CommandSpec(
        "+QICFG",
        "Configure Optional Parameters",
        "2.3.9",
        'Data format (text/hex) for sending and receiving, and "showRA".',
        (
            FormSpec(
                Form.TEST,
                "AT+QICFG=?",
                "List the configurable items.",
                '+QICFG: "dataformat",(0,1),(0,1)\n+QICFG: "showRA",(0,1)',
                key="qicfg.test",
            ),
            FormSpec(
                Form.WRITE,
                'AT+QICFG="dataformat"[,<send_data_format>,<recv_data_format>]',
                "Set (or, without values, show) the send/receive data format.",
                '+QICFG: "dataformat",<send_data_format>,<recv_data_format> when querying',
                (DATAFORMAT_KEY, SEND_DATA_FORMAT, RECV_DATA_FORMAT),
                required=1,
                key="qicfg.dataformat",
            ),
            FormSpec(
                Form.WRITE,
                'AT+QICFG="showRA"[,<showRA_mode>]',
                "Set (or show) whether recv URCs carry the sender's address.",
                '+QICFG: "showRA",<showRA_mode> when querying',
                (SHOWRA_KEY, SHOWRA_MODE),
                required=1,
                key="qicfg.showra",
            ),
        ),
        cross_check=_qicfg_cross,
    ),
)
