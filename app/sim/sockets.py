"""The module's five socket services on the host's real network stack.

Chapter 2.3.1-2.3.4 (AT+QIOPEN, AT+QICLOSE, AT+QISTATE, AT+QISEND) and the
URCs of chapter 2.4. ConnectIDs 0-4 are shared by every service type,
including the connections a TCP LISTENER accepts (§2.4.3).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.protocol.catalog import Value
from app.protocol.codes import ResultCode
from app.protocol.events import SocketState
from app.protocol.syntax import CommandLine
from app.sim.deviations import deviates
from app.sim.guard import is_loopback
from app.sim.host import DataModeContext, Handler, ModuleHost
from app.sim.network import DatagramHandler, DnsError, StreamHandler, unacked_bytes
from app.sim.reach import EXPOSE_OPTION, BindRefused, check_bind, exposed_bind
from app.sim.reach import report as reach_report

TCP = "TCP"
UDP = "UDP"
LISTENER = "TCP LISTENER"
INCOMING = "TCP INCOMING"
SERVICE = "UDP SERVICE"
CONNECT_IDS = range(5)
#: §2.4 notes 4 and 5: downlink data is cut into pieces of at most 1024 bytes,
#: and no URC exceeds 1400 bytes, so hex pieces (two digits a byte) carry 512.
RECV_PIECE_TEXT = 1024
RECV_PIECE_HEX = 512
#: How long AT+QICLOSE waits for the host socket to close before CLOSE OK.
CLOSE_WAIT_S = 2.0


class OpenError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass(eq=False)
class SimSocket:
    connect_id: int
    service_type: str
    #: As AT+QIOPEN gave it (remote host, or local IP for LISTENER/SERVICE);
    #: the client's IP for TCP INCOMING (§2.3.3 <host>).
    host: str
    remote_port: int
    local_port: int = 0
    state: SocketState = SocketState.CONNECTING
    server_id: int | None = None
    transport: Any = None
    server: asyncio.AbstractServer | None = None
    task: asyncio.Task[Any] | None = None
    peer: tuple[str, int] | None = None
    sent: int = 0
    received: int = 0
    #: Data that arrived before +QIOPEN: <id>,0 was printed (kept in order).
    early: list[tuple[bytes, tuple[str, int] | None]] = field(default_factory=list)
    announced: bool = False
    closing_by_host: bool = False
    gone: asyncio.Event = field(default_factory=asyncio.Event)

    def row(self, *, swap_ports: bool = False, short: bool = False) -> str:
        """§2.3.3: <connectID>,<service_type>,<host>,<remote_port>,<local_port>,
        <socket_state>,<contextID>,<access_mode> (``swap_ports``, ``short``: the
        deviations qistate_order and qistate_fields)."""
        remote = 0 if self.service_type == LISTENER else self.remote_port
        ports = [remote, self.local_port]
        if swap_ports:
            ports.reverse()
        fields = [*ports, int(self.state), 0, 1]
        if short:
            fields.pop()
        return f'+QISTATE: {self.connect_id},"{self.service_type}","{self.host}",' + ",".join(
            str(f) for f in fields
        )


class _Incoming(asyncio.Protocol):
    """A connection accepted by a TCP LISTENER (§2.4.3)."""

    def __init__(self, sockets: Sockets, listener: SimSocket) -> None:
        self.sockets = sockets
        self.listener = listener
        self.sock: SimSocket | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.sock = self.sockets.accepted(self.listener, transport)

    def data_received(self, data: bytes) -> None:
        if self.sock is not None:
            self.sockets.on_data(self.sock, data, None)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.sock is not None:
            self.sockets.on_closed(self.sock)


class Sockets:
    def __init__(self, module: ModuleHost, resolve: Callable[[str], Awaitable[str]]) -> None:
        self.m = module
        #: Host name (or address text) to the IP address to use (the module's DNS).
        self.resolve = resolve
        self.slots: dict[int, SimSocket] = {}
        self.reading = True

    def handlers(self) -> dict[str, Handler]:
        """The command handlers, by catalog form key."""
        return {
            "qiopen.test": self.qiopen_test,
            "qiopen.write": self.qiopen,
            "qiclose.test": self.qiclose_test,
            "qiclose.write": self.qiclose,
            "qistate.test": self.qistate_test,
            "qistate.read": self.qistate,
            "qistate.context": self.qistate,
            "qistate.connect": self.qistate,
            "qisend.test": self.qisend_test,
            "qisend.inline": self.qisend,
            "qisend.variable": self.qisend,
            "qisend.query": self.qisend_query,
            "qisend.fixed": self.qisend,
            "qisend.udp_inline": self.qisend,
            "qisend.udp_variable": self.qisend,
            "qisend.udp_fixed": self.qisend,
        }

    # ------------------------------------------------------------ helpers

    def free_id(self) -> int | None:
        return next((i for i in CONNECT_IDS if i not in self.slots), None)

    def set_reading(self, on: bool) -> None:
        """Backpressure from the UART: stop or restart reading every socket."""
        self.reading = on
        for sock in self.slots.values():
            self._apply_reading(sock.transport)

    def _apply_reading(self, transport: Any) -> None:
        if transport is None or transport.is_closing():
            return
        with contextlib.suppress(AttributeError, RuntimeError):
            if self.reading:
                transport.resume_reading()
            else:
                transport.pause_reading()

    def _bind_ip(self, sock: SimSocket) -> str:
        """The local address a LISTENER / UDP SERVICE binds: the module's own address
        (or 0.0.0.0, meaning it) maps to the simulator's IP; anything else is used as
        given. Beyond loopback only when the module is exposed (app.sim.reach): refused
        with 556 and a line on stderr otherwise, bound with a warning when exposed."""
        host = sock.host
        bind = self.m.ip if host in ("0.0.0.0", self.m.ip) else host
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            raise OpenError(ResultCode.SOCKET_BIND_FAILED) from None
        what = f"the {sock.service_type} address"
        try:
            check_bind(bind, expose=self.m.config.expose, what=what, flag=EXPOSE_OPTION)
        except BindRefused as exc:
            reach_report(f"AT+QIOPEN={sock.connect_id}: {exc}")
            raise OpenError(ResultCode.SOCKET_BIND_FAILED) from None
        if not self.m.guard.allows(bind):
            raise OpenError(ResultCode.SOCKET_BIND_FAILED)  # the loopback guard
        if not is_loopback(bind):
            reach_report(exposed_bind(what, bind))
        return bind

    # ---------------------------------------------------- §2.3.1 AT+QIOPEN

    def qiopen_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok(
            '+QIOPEN: (0-10),(0-4),"TCP/UDP/TCP LISTENER/UDP SERVICE",<host>,(1-65535),'
            "(0-65535),(1)"
        )

    def qiopen(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        m = self.m
        cid = int(v["connectID"] or 0)
        if not m.registered:
            # Note 4: execute after the +IP: URC (registered to the network).
            m.error(ResultCode.OPERATION_NOT_ALLOWED)
            return
        m.ok()
        m.network_activity()
        if cid in self.slots:
            used = ResultCode.SOCKET_IDENTITY_USED
            if deviates(m.config, "qiopen_used_code"):
                used = ResultCode.SOCKET_CONNECTION_FAILED
            m.spawn(self._report_open(cid, used))
            return
        sock = SimSocket(
            connect_id=cid,
            service_type=str(v["service_type"]),
            host=str(v["host"]),
            remote_port=int(v["remote_port"] or 0),
            local_port=int(v.get("local_port") or 0),
        )
        self.slots[cid] = sock
        sock.task = m.spawn(self._open(sock))

    async def _report_open(self, cid: int, code: int) -> None:
        await self.m.pause(self.m.profile.deferred_latency)
        self.m.urc(f"+QIOPEN: {cid},{code}", paged=False)

    async def _open(self, sock: SimSocket) -> None:
        m = self.m
        await m.pause(m.profile.deferred_latency)
        code: int = ResultCode.OPERATION_SUCCESSFUL
        armed = m.fail_next_qiopen
        if armed is not None:
            m.fail_next_qiopen = None
            code = armed
        else:
            try:
                if sock.service_type in (TCP, UDP):
                    ip = await self.resolve(sock.host)
                    if not m.guard.allows(ip):
                        # The loopback guard: an unreachable host, never contacted.
                        raise OpenError(ResultCode.SOCKET_CONNECTION_FAILED)
                    if sock.service_type == TCP:
                        await self._connect_tcp(sock, ip)
                    else:
                        await self._open_udp(sock, ip)
                elif sock.service_type == LISTENER:
                    await self._listen(sock)
                else:
                    await self._udp_service(sock)
            except DnsError as exc:
                code = exc.code
            except OpenError as exc:
                code = exc.code
        if self.slots.get(sock.connect_id) is not sock:
            self._discard(sock)  # closed (or the module rebooted) while opening
            return
        if code != ResultCode.OPERATION_SUCCESSFUL:
            # Note 3: a failed socket stays until AT+QICLOSE closes it.
            self._discard(sock)
            sock.state = SocketState.INITIAL
        else:
            sock.state = SocketState.CONNECTED
        m.urc(f"+QIOPEN: {sock.connect_id},{code}", paged=False)
        sock.announced = True
        early, sock.early = sock.early, []
        for data, addr in early:
            self._recv_urcs(sock, data, addr)

    async def _connect_tcp(self, sock: SimSocket, ip: str) -> None:
        loop = self.m.loop
        local = self._client_local_addr(ip, sock.local_port)
        try:
            transport, _ = await asyncio.wait_for(
                loop.create_connection(
                    lambda: StreamHandler(
                        lambda data: self.on_data(sock, data, None), lambda: self.on_closed(sock)
                    ),
                    ip,
                    sock.remote_port,
                    local_addr=local,
                ),
                self.m.profile.connect_timeout,
            )
        except OSError as exc:
            if local is not None and exc.errno == errno.EADDRINUSE:
                raise OpenError(ResultCode.PORT_BUSY) from None
            raise OpenError(ResultCode.SOCKET_CONNECTION_FAILED) from None
        except TimeoutError:
            raise OpenError(ResultCode.OPERATION_TIMEOUT) from None
        self._attach(sock, transport, (ip, sock.remote_port))

    def _client_local_addr(self, ip: str, port: int) -> tuple[str, int] | None:
        if not port:
            return None
        loopback = ipaddress.ip_address(ip).is_loopback
        return ("127.0.0.1" if loopback else "0.0.0.0", port)

    async def _open_udp(self, sock: SimSocket, ip: str) -> None:
        try:
            transport, _ = await self.m.loop.create_datagram_endpoint(
                lambda: DatagramHandler(
                    lambda data, addr: self.on_data(sock, data, addr), sock.gone.set
                ),
                remote_addr=(ip, sock.remote_port),
                local_addr=self._client_local_addr(ip, sock.local_port),
            )
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OpenError(ResultCode.PORT_BUSY) from None
            raise OpenError(ResultCode.CREATE_SOCKET_FAILED) from None
        self._attach(sock, transport, (ip, sock.remote_port))

    async def _listen(self, sock: SimSocket) -> None:
        bind = self._bind_ip(sock)
        try:
            server = await self.m.loop.create_server(
                lambda: _Incoming(self, sock), bind, sock.local_port, reuse_address=True
            )
        except OSError as exc:
            raise OpenError(self._bind_error(exc)) from None
        sock.server = server
        sock.local_port = server.sockets[0].getsockname()[1]

    async def _udp_service(self, sock: SimSocket) -> None:
        bind = self._bind_ip(sock)
        try:
            transport, _ = await self.m.loop.create_datagram_endpoint(
                lambda: DatagramHandler(
                    lambda data, addr: self.on_data(sock, data, addr), sock.gone.set
                ),
                local_addr=(bind, sock.local_port),
            )
        except OSError as exc:
            raise OpenError(self._bind_error(exc)) from None
        self._attach(sock, transport, None)

    @staticmethod
    def _bind_error(exc: OSError) -> int:
        if exc.errno == errno.EADDRINUSE:
            return ResultCode.PORT_BUSY
        return ResultCode.SOCKET_BIND_FAILED

    def _attach(self, sock: SimSocket, transport: Any, peer: tuple[str, int] | None) -> None:
        sock.transport = transport
        sock.peer = peer
        name = transport.get_extra_info("sockname")
        if name:
            sock.local_port = int(name[1])
        self._apply_reading(transport)

    def accepted(self, listener: SimSocket, transport: asyncio.BaseTransport) -> SimSocket | None:
        """A client connected to a LISTENER: give it a free connectID (§2.4.3)."""
        cid = self.free_id()
        if cid is None or self.slots.get(listener.connect_id) is not listener:
            transport.close()  # all five connectIDs in use: the connection is refused
            return None
        ip, port = transport.get_extra_info("peername")[:2]
        sock = SimSocket(
            connect_id=cid,
            service_type=INCOMING,
            host=ip,
            remote_port=port,
            local_port=listener.local_port,
            state=SocketState.CONNECTED,
            server_id=listener.connect_id,
            announced=True,
        )
        self.slots[cid] = sock
        self._attach(sock, transport, (ip, port))
        self.m.network_activity(uplink=False)
        if not deviates(self.m.config, "no_incoming_urc"):
            self.m.urc(f'+QIURC: "incoming",{cid},{listener.connect_id},"{ip}",{port}')
        return sock

    # ------------------------------------------------------ data and close

    def on_data(self, sock: SimSocket, data: bytes, addr: tuple[str, int] | None) -> None:
        if self.slots.get(sock.connect_id) is not sock or sock.state is SocketState.CLOSING:
            return
        self.m.network_activity(uplink=False)
        if not sock.announced:
            sock.early.append((data, addr))
            return
        self._recv_urcs(sock, data, addr)

    def _recv_urcs(self, sock: SimSocket, data: bytes, addr: tuple[str, int] | None) -> None:
        """§2.4.2: ``+QIURC: "recv",<connectID>,<len>[,<recv_ip>,<recv_port>],<data>``."""
        m = self.m
        sock.received += len(data)
        hex_mode = m.recv_hex
        piece = RECV_PIECE_HEX if hex_mode else RECV_PIECE_TEXT
        show = sock.service_type == SERVICE or (
            m.show_ra and not deviates(m.config, "recv_no_address")
        )
        ip, port = addr or sock.peer or ("0.0.0.0", 0)
        for offset in range(0, len(data), piece):
            chunk = data[offset : offset + piece]
            head = f'+QIURC: "recv",{sock.connect_id},{len(chunk)},'
            if show:
                head += f'"{ip}",{port},'
            body = chunk.hex().upper().encode("ascii") if hex_mode else chunk
            m.urc_raw(b"\r\n" + head.encode("ascii") + b'"' + body + b'"\r\n')

    def on_closed(self, sock: SimSocket) -> None:
        sock.gone.set()
        if sock.closing_by_host or self.slots.get(sock.connect_id) is not sock:
            return
        if sock.state is SocketState.CONNECTED:
            # §2.4.1: closed by the peer or the network; the socket waits for AT+QICLOSE.
            sock.state = SocketState.REMOTE_CLOSING
            if not deviates(self.m.config, "no_closed_urc"):
                self.m.urc(f'+QIURC: "closed",{sock.connect_id}')

    def _discard(self, sock: SimSocket) -> None:
        """Close the host side of ``sock`` quietly."""
        sock.closing_by_host = True
        if sock.task is not None and not sock.task.done():
            sock.task.cancel()
        if sock.transport is not None:
            with contextlib.suppress(Exception):
                sock.transport.close()
        if sock.server is not None:
            sock.server.close()
        if sock.transport is None:
            sock.gone.set()

    def drop_all(self, *, report: bool, open_result: int | None = None) -> None:
        """Every socket goes (reboot: silently; lost network: with URCs)."""
        for cid, sock in sorted(self.slots.items()):
            was = sock.state
            self._discard(sock)
            if not report:
                continue
            if was is SocketState.CONNECTING and open_result is not None:
                sock.state = SocketState.INITIAL
                self.m.urc(f"+QIOPEN: {cid},{open_result}", paged=False)
            elif was is SocketState.CONNECTED and sock.service_type in (TCP, INCOMING):
                sock.state = SocketState.REMOTE_CLOSING
                self.m.urc(f'+QIURC: "closed",{cid}')
            elif was is SocketState.CONNECTED:
                sock.state = SocketState.INITIAL
        if not report:
            self.slots.clear()

    # --------------------------------------------------- §2.3.2 AT+QICLOSE

    def qiclose_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        top = 5 if deviates(self.m.config, "qiclose_test_range") else 4
        self.m.ok(f"+QICLOSE: (0-{top})")

    def qiclose(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        cid = int(v["connectID"] or 0)
        sock = self.slots.get(cid)
        if sock is None:
            self.m.error(ResultCode.SOCKET_CLOSED)
            return
        self.m.ok()
        sock.state = SocketState.CLOSING
        self.m.spawn(self._close(sock))

    async def _close(self, sock: SimSocket) -> None:
        victims = [sock]
        if sock.service_type == LISTENER:
            # Chapter 4.3.4: closing the server leaves no connection behind.
            victims += [s for s in self.slots.values() if s.server_id == sock.connect_id]
        for s in victims:
            self._discard(s)
        for s in victims:
            if s.transport is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(s.gone.wait(), CLOSE_WAIT_S)
            if self.slots.get(s.connect_id) is s:
                del self.slots[s.connect_id]
        if not deviates(self.m.config, "no_close_ok"):
            self.m.answer(b"\r\nCLOSE OK\r\n")

    # --------------------------------------------------- §2.3.3 AT+QISTATE

    def qistate_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QISTATE: 0,(0-10)", "+QISTATE: 1,(0-4)")

    def qistate(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        only = v.get("connectID") if v.get("query_type") == 1 else None
        config = self.m.config
        swap, short = deviates(config, "qistate_order"), deviates(config, "qistate_fields")
        rows = [
            s.row(swap_ports=swap, short=short)
            for cid, s in sorted(self.slots.items())
            if only is None or cid == only
        ]
        self.m.ok(*rows)

    # ----------------------------------------------------- §2.3.4 AT+QISEND

    def qisend_test(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        self.m.ok("+QISEND: (0-4),<remote_ip>,<remote_port>,(1-1024),<data>,(0-2)")

    def _target(self, v: dict[str, Value], udp_form: bool) -> SimSocket | None:
        """The socket a send goes to, or None after answering ERROR."""
        sock = self.slots.get(int(v["connectID"] or 0))
        if sock is None or sock.state in (SocketState.INITIAL, SocketState.CONNECTING):
            self.m.error(ResultCode.SOCKET_CLOSED)
            return None
        # The UDP SERVICE forms carry <remote_ip>,<remote_port>; the others must not.
        if sock.service_type == LISTENER or udp_form != (sock.service_type == SERVICE):
            self.m.error(ResultCode.OPERATION_NOT_SUPPORTED)
            return None
        return sock

    @staticmethod
    def _remote(v: dict[str, Value]) -> tuple[str, int] | None:
        ip = v.get("remote_ip")
        return None if ip is None else (str(ip), int(v["remote_port"] or 0))

    def _check_length(self, send_length: int) -> bool:
        if self.m.send_hex and send_length > 512:
            # §2.3.4 <send_length>: at most 512 bytes in hex mode.
            self.m.error(ResultCode.PARAMETERS_INVALID)
            return False
        return True

    def qisend(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        """Every sending form of §2.3.4 (inline, variable and fixed data mode; UDP SERVICE)."""
        remote = self._remote(v)
        sock = self._target(v, remote is not None)
        if sock is None:
            return
        length = v.get("send_length")
        data = v.get("data")
        if data is not None:
            assert isinstance(length, int)
            self._inline(sock, length, str(data).encode("latin-1"), remote)
            return
        fixed: int | None = None
        if isinstance(length, int):
            if not self._check_length(length):
                return
            fixed = length * 2 if self.m.send_hex else length
        self.m.enter_data_mode(
            DataModeContext(sock.connect_id, fixed, self.m.send_hex, remote, bytearray())
        )

    def _inline(
        self, sock: SimSocket, length: int, wire: bytes, remote: tuple[str, int] | None
    ) -> None:
        if not self._check_length(length):
            return
        payload = self._decode(wire)
        # Note 2: <send_length> equals the text length, or half the hex digits.
        if payload is None or len(payload) != length:
            self.m.error(ResultCode.PARAMETERS_INVALID)
            return
        sent = self._transmit(sock, payload, remote)
        if sent and remote is None and deviates(self.m.config, "send_ok_without_ok"):
            self.m.answer(b"\r\nSEND OK\r\n")
            return
        self._result(sent)

    def _decode(self, wire: bytes) -> bytes | None:
        if not self.m.send_hex:
            return wire
        try:
            return bytes.fromhex(wire.decode("ascii")) if len(wire) % 2 == 0 else None
        except ValueError:
            return None

    def send_from_data_mode(self, ctx: DataModeContext) -> None:
        payload = self._decode(bytes(ctx.buffer))
        if not payload:
            self.m.error(ResultCode.PARAMETERS_INVALID)
            return
        sock = self.slots.get(ctx.connect_id)
        self._result(sock is not None and self._transmit(sock, payload, ctx.remote))

    def _result(self, sent: bool) -> None:
        self.m.answer(b"\r\nOK\r\n" + (b"\r\nSEND OK\r\n" if sent else b"\r\nSEND FAIL\r\n"))

    def _transmit(self, sock: SimSocket, payload: bytes, remote: tuple[str, int] | None) -> bool:
        transport = sock.transport
        if sock.state is not SocketState.CONNECTED or transport is None or transport.is_closing():
            return False
        if remote is not None and not self.m.guard.allows(remote[0]):
            return False  # the loopback guard: SEND FAIL, nothing leaves
        self.m.network_activity()
        try:
            if sock.service_type == SERVICE:
                assert remote is not None
                transport.sendto(payload, remote)
            elif sock.service_type == UDP:
                transport.sendto(payload)
            else:
                transport.write(payload)
        except (OSError, ValueError, RuntimeError):
            return False
        sock.sent += len(payload)
        return True

    def qisend_query(self, cmd: CommandLine, v: dict[str, Value]) -> None:
        """``AT+QISEND=<connectID>,0``: +QISEND: <sent>,<acked>,<nAcked> (TCP only counts
        acknowledgements; they come from the kernel's send queue)."""
        sock = self.slots.get(int(v["connectID"] or 0))
        if sock is None:
            self.m.error(ResultCode.SOCKET_CLOSED)
            return
        if sock.service_type in (TCP, INCOMING):
            nacked = min(sock.sent, unacked_bytes(sock.transport))
            self.m.ok(f"+QISEND: {sock.sent},{sock.sent - nacked},{nacked}")
        else:
            self.m.ok(f"+QISEND: {sock.sent},0,0")
