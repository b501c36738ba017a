"""What the conformance suite judges: one :class:`Spec` per aspect of the
application note, with its clause and what the note expects.

The probes (:mod:`app.check.sockets`, :mod:`app.check.services`) look their
specs up here by id; the ids are stable (reports and tests refer to them).
"""

from __future__ import annotations

from app.check.model import Spec

OPEN, CLOSE, STATE, SEND, DATA = "AT+QIOPEN", "AT+QICLOSE", "AT+QISTATE", "AT+QISEND", "Data mode"
PING, NTP, DNSGIP, DNSCFG, CFG = "AT+QPING", "AT+QNTP", "AT+QIDNSGIP", "AT+QIDNSCFG", "AT+QICFG"
URCS, FLOWS = "URCs", "Chapter 4 flows"

# fmt: off
_TABLE = [
    # (id, section, clause, what is checked, what the spec expects)
    ('qiopen.test', OPEN, '§2.3.1', 'test command',
     '+QIOPEN: (0-10),(0-4),"TCP/UDP/TCP LISTENER/UDP '
     'SERVICE",<host>,(1-65535),(0-65535),(1) | OK'),
    ('qiopen.tcp', OPEN, '§2.3.1', 'TCP client to a peer that is up',
     'OK | +QIOPEN: <connectID>,0'),
    ('qiopen.used', OPEN, '§2.3.1, chapter 3', 'a <connectID> already in use',
     'OK | +QIOPEN: <connectID>,563 (Socket identity has been used), or ERROR'),
    ('qiopen.refused', OPEN, '§2.3.1, chapter 3', 'a peer that refuses the connection',
     'OK | +QIOPEN: <connectID>,566 (Socket connection failed)'),
    ('qiopen.params', OPEN, '§2.3.1', 'parameter errors',
     'ERROR for each'),
    ('qiclose.test', CLOSE, '§2.3.2', 'test command',
     '+QICLOSE: (0-4) | OK'),
    ('qiclose.write', CLOSE, '§2.3.2', 'close a socket',
     'OK | CLOSE OK'),
    ('qiclose.params', CLOSE, '§2.3.2', 'parameter errors',
     'ERROR for each'),
    ('qistate.test', STATE, '§2.3.3', 'test command',
     '+QISTATE: 0,(0-10) | +QISTATE: 1,(0-4) | OK'),
    ('qistate.read', STATE, '§2.3.3 note 2', 'read command (no socket, then one)',
     'OK alone without a socket; then one +QISTATE: row | OK'),
    ('qistate.by_context', STATE, '§2.3.3', 'AT+QISTATE=0,<contextID>',
     "the context's +QISTATE: rows | OK"),
    ('qistate.by_connect', STATE, '§2.3.3', 'AT+QISTATE=1,<connectID>',
     "that socket's +QISTATE: row | OK"),
    ('qistate.row.fields', STATE, '§2.3.3', "a row's fields",
     '8 fields: '
     '<connectID>,<service_type>,<host>,<remote_port>,<local_port>,<socket_state>,<contextID>,<access_mode>'),
    ('qistate.row.order', STATE, '§2.3.3', "a row's field order and values",
     '<connectID>,"TCP","<host>",<remote_port>,<local_port 1-65535>,2,0,1'),
    ('qistate.params', STATE, '§2.3.3', 'parameter errors',
     'ERROR for each'),
    ('qisend.test', SEND, '§2.3.4', 'test command',
     '+QISEND: (0-4),<remote_ip>,<remote_port>,(1-1024),<data>,(0-2) | OK'),
    ('qisend.inline', SEND, '§2.3.4', 'text inline: AT+QISEND=<id>,<len>,<data>',
     'OK | SEND OK'),
    ('qisend.hex', SEND, '§2.3.4, §2.3.9', 'hex inline (dataformat 1)',
     'SEND OK, and the peer gets the bytes the hex digits spell'),
    ('qisend.udp', SEND, '§2.3.4', 'UDP SERVICE inline: <remote_ip>,<remote_port>',
     'OK | SEND OK'),
    ('qisend.query', SEND, '§2.3.4', 'AT+QISEND=<id>,0',
     '+QISEND: <sent>,<acked>,<nAcked> | OK; <sent> counts the bytes sent, '
     '<acked>+<nAcked> = <sent>'),
    ('qisend.params', SEND, '§2.3.4', 'parameter errors',
     'ERROR for each'),
    ('data.prompt', DATA, '§2.3.4, §2.1.2', 'the prompt',
     '<CR><LF>>'),
    ('data.ctrl_z', DATA, '§2.3.4', 'variable length, ended by Ctrl-Z',
     '> | OK | SEND OK'),
    ('data.fixed', DATA, '§2.3.4', 'fixed length: sent at <send_length> bytes',
     '> | OK | SEND OK, with no Ctrl-Z'),
    ('data.esc', DATA, '§2.3.4', 'Esc cancels',
     'no SEND OK, nothing reaches the peer, the module takes commands again'),
    ('urc.recv', URCS, '§2.4.2', 'echo of a text send',
     '+QIURC: "recv",<connectID>,<current_recv_length>,<data>'),
    ('urc.recv.hex', URCS, '§2.4.2, §2.3.9', 'echo in hex (dataformat 1)',
     '+QIURC: "recv",<connectID>,<length in bytes>,<data as hex digits>'),
    ('urc.recv.showra', URCS, '§2.4.2, §2.3.9', 'echo with showRA=1',
     '+QIURC: "recv",<connectID>,<length>,<recv_ip>,<recv_port>,<data>'),
    ('urc.recv.udp', URCS, '§2.4.2', 'data to a UDP SERVICE',
     '+QIURC: "recv",<connectID>,<length>,<recv_ip>,<recv_port>,<data>'),
    ('urc.closed', URCS, '§2.4.1', 'the peer closes a TCP connection',
     '+QIURC: "closed",<connectID>; <socket_state> then 3 or 4 (closing)'),
    ('urc.incoming', URCS, '§2.4.3', 'a client connects to a TCP LISTENER',
     '+QIURC: "incoming",<connectID>,<serverID>,<remoteIP>,<remote_port>'),
    ('flow.4.1', FLOWS, '§4.1', 'TCP client: data both ways, then closed',
     'every byte sent reaches the peer in order and comes back; no socket after AT+QICLOSE'),
    ('flow.4.2', FLOWS, '§4.2', 'UDP SERVICE: a datagram both ways, then closed',
     'listed as "UDP SERVICE"; the peer gets the datagram from the module\\\'s port and the '
     'reply comes back; no socket after AT+QICLOSE'),
    ('flow.4.3', FLOWS, '§4.3', 'TCP server: a client connects, data both ways',
     'rows "TCP LISTENER" and "TCP INCOMING"; data both ways; closing the server leaves no '
     'socket (4.3.4)'),
    ('qping.test', PING, '§2.3.5', 'test command',
     '+QPING: (0-10),<host>,(1-255),(1-10),(32-1500),(0,1) | OK'),
    ('qping.replies', PING, '§2.3.5', 'one line per ping request',
     'OK | +QPING: 0,"<IP_address>",<bytes>,<time>,<ttl> per request'),
    ('qping.summary', PING, '§2.3.5, §4.4', 'the summary',
     '+QPING: 0,<sent>,<rcvd>,<lost>,<min>,<max>,<avg>: <sent> the requests, <rcvd> the '
     'replies, <lost> the rest, <min> <= <avg> <= <max>'),
    ('qping.params', PING, '§2.3.5', 'parameter errors',
     'ERROR for each'),
    ('qntp.test', NTP, '§2.3.6', 'test command',
     '+QNTP: (0-10),<server>,(1-65535),(0,1) | OK'),
    ('qntp.write', NTP, '§2.3.6, §4.5', 'time from an NTP server',
     'OK | +QNTP: 0,"YY/MM/DD,hh:mm:ss" (the server\'s time, quoted)'),
    ('qntp.params', NTP, '§2.3.6', 'parameter errors',
     'ERROR for each'),
    ('qidnsgip.test', DNSGIP, '§2.3.7', 'test command',
     '+QIDNSGIP: (0-10),<hostname> | OK'),
    ('qidnsgip.write', DNSGIP, '§2.3.7, §4.7', 'resolve a name',
     'OK | +QIDNSGIP: 0,<IP_count>,<DNS_ttl> | +QIDNSGIP: <hostIPaddr>'),
    ('qidnsgip.params', DNSGIP, '§2.3.7', 'parameter errors',
     'ERROR for each'),
    ('qidnscfg.test', DNSCFG, '§2.3.8', 'test command',
     '+QIDNSCFG: (0-10),<pridnsaddr>,<secdnsaddr> | OK'),
    ('qidnscfg.write', DNSCFG, '§2.3.8, §4.6', 'set, then query the servers',
     'OK; then +QIDNSCFG: 0,"<pri>","<sec>"[,<IPv6 pri>,<IPv6 sec>] | OK'),
    ('qidnscfg.params', DNSCFG, '§2.3.8', 'parameter errors',
     'ERROR for each'),
    ('qicfg.test', CFG, '§2.3.9', 'test command',
     '+QICFG: "dataformat",(0,1),(0,1) | +QICFG: "showRA",(0,1) | OK'),
    ('qicfg.dataformat', CFG, '§2.3.9', '"dataformat": query, set, query',
     '+QICFG: "dataformat",<send>,<recv> | OK; OK; the new values'),
    ('qicfg.showra', CFG, '§2.3.9', '"showRA": query, set, query',
     '+QICFG: "showRA",<mode> | OK; OK; the new value'),
    ('qicfg.params', CFG, '§2.3.9', 'parameter errors',
     'ERROR for each'),
    ('flow.4.4', FLOWS, '§4.4', 'ping a name',
     'the replies come from the address the name resolves to'),
    ('flow.4.5', FLOWS, '§4.5', 'NTP by name',
     '+QNTP: 0,<time>'),
]
# fmt: on

SPECS: dict[str, Spec] = {row[0]: Spec(*row) for row in _TABLE}


def specs(*ids: str) -> list[Spec]:
    return [SPECS[i] for i in ids]
