"""Probes of ping, NTP, DNS and the TCP/IP options (spec §2.3.5-2.3.9) and the
chapter 4 flows that use names (4.4 ping, 4.5 NTP; 4.6 and 4.7 are
AT+QIDNSCFG and AT+QIDNSGIP themselves).
"""

from __future__ import annotations

import calendar
import ipaddress
import re
import time

from app.check.expect import IPV4, any_of, body, integer, lit, rng, unquote
from app.check.link import Reply
from app.check.net import Network
from app.check.specs import SPECS
from app.check.suite import Suite

#: Pings per probe (§2.3.5 allows 1-10), and how long each may take.
PINGS = 2
PING_TIMEOUT = 4
#: How far the NTP time may be from this machine's clock (the loopback peer's is it).
CLOCK_SLACK_S = 120


def test_forms(s: Suite) -> None:
    s.test_form(
        SPECS["qping.test"],
        "AT+QPING=?",
        "+QPING",
        [[rng((0, 10)), any_of("host"), rng((1, 255)), rng((1, 10)), rng((32, 1500)), rng(0, 1)]],
    )
    s.test_form(
        SPECS["qntp.test"],
        "AT+QNTP=?",
        "+QNTP",
        [[rng((0, 10)), any_of("server"), rng((1, 65535)), rng(0, 1)]],
    )
    s.test_form(
        SPECS["qidnsgip.test"], "AT+QIDNSGIP=?", "+QIDNSGIP", [[rng((0, 10)), any_of("hostname")]]
    )
    s.test_form(
        SPECS["qidnscfg.test"],
        "AT+QIDNSCFG=?",
        "+QIDNSCFG",
        [[rng((0, 10)), any_of("pridnsaddr"), any_of("secdnsaddr")]],
    )
    s.test_form(
        SPECS["qicfg.test"],
        "AT+QICFG=?",
        "+QICFG",
        [[lit('"dataformat"'), rng(0, 1), rng(0, 1)], [lit('"showRA"'), rng(0, 1)]],
    )


# -- AT+QPING ---------------------------------------------------------------------------


def ping(s: Suite) -> None:
    host = s.net.ping_host(s.local)
    replies, summary = SPECS["qping.replies"], SPECS["qping.summary"]
    if s.offline(replies, summary):
        pass
    elif host is None:
        s.skip("no host to ping the module can reach (name one with --ping HOST)", replies, summary)
    else:
        reply = s.send(f'AT+QPING=0,"{host}",{PING_TIMEOUT},{PINGS}')
        _judge_ping(s, reply, host)
    s.params(
        SPECS["qping.params"],
        [
            ('AT+QPING=0,"127.0.0.1",0', "time_out 0, range 1-255"),
            ('AT+QPING=0,"127.0.0.1",256', "time_out 256"),
            ('AT+QPING=0,"127.0.0.1",4,0', "ping_num 0, range 1-10"),
            ('AT+QPING=0,"127.0.0.1",4,11', "ping_num 11"),
            ('AT+QPING=0,"127.0.0.1",4,4,31', "ping_size 31, range 32-1500"),
            ('AT+QPING=0,"127.0.0.1",4,4,1501', "ping_size 1501"),
            ('AT+QPING=0,"127.0.0.1",4,4,32,2', "rai_enable 2: 0 or 1"),
            ('AT+QPING=11,"127.0.0.1"', "contextID 11, range 0-10"),
        ],
    )


def _ping_lines(reply: Reply) -> tuple[list[list[str]], list[str] | None, str | None]:
    """(the per-request lines' fields, the summary's fields, why not when it went wrong)."""
    lines = reply.lines
    if not lines or lines[0] != "OK":
        return [], None, f"starts with {lines[0]!r}" if lines else "no answer"
    fields = [f for line in lines[1:] if (f := body(line, "+QPING")) is not None]
    if len(fields) != len(lines) - 1:
        return [], None, "a line that is not +QPING:"
    if len(fields) == 1 and len(fields[0]) == 1:
        return [], None, None  # +QPING: <finresult> alone: the ping could not start
    return fields[:-1], fields[-1] if fields else None, None


def _judge_ping(s: Suite, reply: Reply, host: str) -> None:
    replies, summary = SPECS["qping.replies"], SPECS["qping.summary"]
    lines, final, problem = _ping_lines(reply)
    if problem is not None:
        s.judge(replies, reply.shown, problem)
        s.skip("no summary to read", summary)
        return
    if final is None:
        code = reply.lines[-1] if len(reply.lines) > 1 else reply.shown
        s.network(f"the ping could not start ({code})", replies, summary)
        return
    wrong = []
    ok = 0
    for fields in lines:
        if fields[:1] == ["0"]:
            ok += 1
            ip = unquote(fields[1]) if len(fields) > 1 else None
            numbers = [integer(f) for f in fields[2:]]
            if len(fields) != 5 or ip is None or not IPV4.fullmatch(ip) or None in numbers:
                wrong.append(f'{",".join(fields)} is not 0,"<ip>",<bytes>,<time>,<ttl>')
            elif _is_ip(host) and ip != host:
                wrong.append(f"reply from {ip}, not {host}")
            elif numbers[0] != 32:
                wrong.append(f"<bytes> {numbers[0]}, the default <ping_size> is 32")
        elif len(fields) != 1:
            wrong.append(f"a failed request prints +QPING: <result> alone, not {fields}")
    if len(lines) != PINGS:
        wrong.append(f"{len(lines)} request lines for {PINGS} requests")
    if not wrong and ok == 0:
        s.network(f"no ping came back ({reply.shown})", replies)
    else:
        s.judge(replies, reply.shown, "; ".join(wrong) or None)
    numbers = [integer(f) for f in final]
    want = "+QPING: 0,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>"
    if len(final) != 7 or None in numbers:
        s.judge(summary, "+QPING: " + ",".join(final), f"not {want}")
        return
    fin, sent, rcvd, lost, low, high, avg = (n or 0 for n in numbers)
    wrong = []
    if fin != 0:
        wrong.append(f"<finresult> {fin}")
    if sent != PINGS:
        wrong.append(f"<sent> {sent} for {PINGS} requests")
    if rcvd != ok:
        wrong.append(f"<rcvd> {rcvd} for {ok} replies")
    if lost != sent - rcvd:
        wrong.append(f"<lost> {lost} is not <sent> - <rcvd>")
    if ok and not low <= avg <= high:
        wrong.append("not <min> <= <avg> <= <max>")
    s.judge(summary, "+QPING: " + ",".join(final), "; ".join(wrong) or None)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# -- AT+QNTP ----------------------------------------------------------------------------


def ntp(s: Suite) -> None:
    server = s.net.ntp(s.local)
    spec = SPECS["qntp.write"]
    if s.offline(spec):
        pass
    elif server is None:
        s.skip("no NTP server the module can reach (name one with --ntp HOST[:PORT])", spec)
    elif not Network.ntp_up(server):
        s.network(f"the NTP server {server[0]}:{server[1]} does not answer this machine", spec)
    else:
        reply = s.send(f'AT+QNTP=0,"{server[0]}",{server[1]},0')
        lines = reply.lines
        problem = None
        if len(lines) != 2 or lines[0] != "OK":
            problem = "not OK then +QNTP:"
        else:
            fields = body(lines[1], "+QNTP")
            problem = _ntp_problem(fields, check_clock=server[0].startswith("127."))
        s.judge(spec, reply.shown, problem)
    s.params(
        SPECS["qntp.params"],
        [
            ('AT+QNTP=0,"127.0.0.1",0', "port 0, range 1-65535"),
            ('AT+QNTP=0,"127.0.0.1",65536', "port 65536"),
            ('AT+QNTP=0,"127.0.0.1",123,2', "auto_set_time 2: 0 or 1"),
            ('AT+QNTP=11,"127.0.0.1"', "contextID 11, range 0-10"),
        ],
    )


def _ntp_problem(fields: list[str] | None, check_clock: bool) -> str | None:
    if fields is None or len(fields) < 2:
        return "not +QNTP: <result>,<time>"
    if fields[0] != "0":
        return f"<result> {fields[0]}"
    stamp = unquote(fields[1])
    if stamp is None:
        # <time> is a string (§2.3.6): unquoted, its comma splits it in two.
        return "<time> is not quoted"
    if len(fields) != 2:
        return "not +QNTP: <result>,<time>"
    m = re.fullmatch(r"(\d{2}|\d{4})/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)", stamp)
    if m is None:
        return "<time> is not YY/MM/DD,hh:mm:ss"
    year = int(m[1]) + (2000 if len(m[1]) == 2 else 0)
    try:
        when = calendar.timegm((year, *(int(m[i]) for i in range(2, 7)), 0, 0, 0))
    except (ValueError, OverflowError):
        return "<time> is not a date"
    if check_clock and abs(when - time.time()) > CLOCK_SLACK_S:
        return "not the server's time"
    return None


# -- DNS -----------------------------------------------------------------------------


def dns(s: Suite) -> None:
    """AT+QIDNSCFG (set, query, bad values), then AT+QIDNSGIP (chapter 4.7).

    On a module on this machine the servers set are loopback ones; on any other, its
    own servers are set again (a loopback server would stay until it restarts when
    the ones it had cannot be read back)."""
    spec = SPECS["qidnscfg.write"]
    if s.local:
        servers = ["127.0.0.1", "127.0.0.2"]
    elif s.restore_dns is not None:
        servers = re.findall(r'"([^"]+)"', s.restore_dns)
    else:
        servers = []
    if servers:
        setting = "AT+QIDNSCFG=0," + ",".join(f'"{ip}"' for ip in servers)
        reply = s.send(setting)
        query = s.send("AT+QIDNSCFG=0")
        rows = [f for line in query.lines if (f := body(line, "+QIDNSCFG")) is not None]
        wanted = ["0", *(f'"{ip}"' for ip in servers)]
        problem = None
        if reply.lines != ["OK"]:
            problem = f"setting them answered {reply.shown}"
        elif len(rows) != 1 or query.lines[-1:] != ["OK"] or len(query.lines) != 2:
            problem = "not one +QIDNSCFG: line then OK"
        elif rows[0][: len(wanted)] != wanted or len(rows[0]) not in (3, 5):
            problem = "not the servers just set"
        s.judge(spec, f"{reply.shown}; then {query.shown}", problem)
    else:
        s.skip("the module's DNS servers cannot be read back, so none is set", spec)
    s.params(
        SPECS["qidnscfg.params"],
        [
            ('AT+QIDNSCFG=0,"::1"', "an IPv6 server in an IPv4 network (note 2)"),
            ('AT+QIDNSCFG=0,"300.1.1.1"', "not an IP address"),
            ('AT+QIDNSCFG=11,"127.0.0.1"', "contextID 11, range 0-10"),
        ],
    )
    resolve(s)


def resolve(s: Suite) -> None:
    spec = SPECS["qidnsgip.write"]
    target = s.net.dns(s.local)
    if s.offline(spec):
        pass
    elif target is None:
        s.skip("no name the module's DNS resolves (name one with --dns-name NAME)", spec)
    else:
        name, address = target
        if s.local and not s.net.options.dns_name:
            s.send('AT+QIDNSCFG=0,"127.0.0.1"')  # the check's DNS peer (chapter 4.7)
        elif s.restore_dns is not None:
            s.send(s.restore_dns)  # the module's own servers
        reply = s.send(f'AT+QIDNSGIP=0,"{name}"')
        _judge_dns(s, reply, address)
    s.params(SPECS["qidnsgip.params"], [('AT+QIDNSGIP=11,"x.example"', "contextID 11, range 0-10")])


def _judge_dns(s: Suite, reply: Reply, address: str | None) -> None:
    spec = SPECS["qidnsgip.write"]
    lines = reply.lines
    head = body(lines[1], "+QIDNSGIP") if len(lines) > 1 else None
    if lines[:1] == ["OK"] and head is not None and len(head) == 1 and head[0] != "0":
        why = f"the name did not resolve ({lines[1]})"
        if s.wired or not s.local:
            s.judge(spec, reply.shown, why)
        else:
            s.network(
                f"{why}: the module's DNS queries go to port 53 (not wired to the peer)", spec
            )
        return
    problem = None
    if len(lines) != 3 or lines[0] != "OK" or head is None or len(head) != 3:
        problem = "not OK | +QIDNSGIP: 0,<IP_count>,<DNS_ttl> | +QIDNSGIP: <hostIPaddr>"
    else:
        count, ttl = integer(head[1]), integer(head[2])
        got = lines[2].removeprefix("+QIDNSGIP:").strip()
        if head[0] != "0" or count is None or count < 1 or ttl is None:
            problem = f"header {lines[1]!r}"
        elif not IPV4.fullmatch(got):
            problem = f"{got!r} is not an address"
        elif address is not None and got != address:
            problem = f"{got}, the name is {address}"
    s.judge(spec, reply.shown, problem)


# -- AT+QICFG ---------------------------------------------------------------------------


def options(s: Suite) -> None:
    for spec, name, values in (
        (SPECS["qicfg.dataformat"], '"dataformat"', ("1,0", "0,0")),
        (SPECS["qicfg.showra"], '"showRA"', ("1", "0")),
    ):
        before = s.send(f"AT+QICFG={name}")
        change = s.send(f"AT+QICFG={name},{values[0]}")
        after = s.send(f"AT+QICFG={name}")
        s.send(f"AT+QICFG={name},{values[1]}")
        problem = None
        if before.lines != [f"+QICFG: {name},{values[1]}", "OK"]:
            problem = f"the query printed {before.shown}"
        elif change.lines != ["OK"]:
            problem = f"setting {values[0]} answered {change.shown}"
        elif after.lines != [f"+QICFG: {name},{values[0]}", "OK"]:
            problem = f"then the query printed {after.shown}"
        s.judge(spec, f"{before.shown}; {change.shown}; {after.shown}", problem)
    s.params(
        SPECS["qicfg.params"],
        [
            ('AT+QICFG="dataformat",2,0', "send_data_format 2: 0 or 1"),
            ('AT+QICFG="dataformat",1', "only one of the two formats"),
            ('AT+QICFG="showRA",2', "showRA_mode 2: 0 or 1"),
            ('AT+QICFG="nothing",1', "no such option"),
        ],
    )


# -- chapter 4 by name ------------------------------------------------------------------


def flows_by_name(s: Suite) -> None:
    names = s.net.names(s.local)
    ping_spec, ntp_spec = SPECS["flow.4.4"], SPECS["flow.4.5"]
    if s.offline(ping_spec, ntp_spec):
        return
    if names is None or not s.wired:
        why = "needs the check's loopback DNS peer wired to the module (a sim:// port)"
        s.skip(why, ping_spec, ntp_spec)
        return
    echo_host, time_host = names
    address = s.net.peers.zone[echo_host] if s.net.peers is not None else "127.0.0.1"
    s.send('AT+QIDNSCFG=0,"127.0.0.1"')
    reply = s.send(f'AT+QPING=0,"{echo_host}",{PING_TIMEOUT},{PINGS}')
    lines, final, problem = _ping_lines(reply)
    if problem is None and final is None:
        s.network(f"the ping could not start ({reply.shown})", ping_spec)
    else:
        froms = {unquote(f[1]) or f[1] for f in lines if f[:1] == ["0"] and len(f) > 1}
        if problem is None and not froms:
            s.network(f"no ping came back ({reply.shown})", ping_spec)
        else:
            if problem is None and froms != {address}:
                problem = f"replies from {sorted(froms)}, {echo_host} is {address}"
            s.judge(ping_spec, reply.shown, problem)
    server = s.net.ntp(s.local)
    port = server[1] if server else 123
    reply = s.send(f'AT+QNTP=0,"{time_host}",{port},0')
    result = body(reply.lines[-1], "+QNTP") if reply.lines else None
    ok = reply.lines[:1] == ["OK"] and result is not None and result[:1] == ["0"]
    s.judge(ntp_spec, reply.shown, None if ok else "no +QNTP: 0,<time>")


__all__ = ["dns", "flows_by_name", "ntp", "options", "ping", "test_forms"]
