"""``qiterm export --mask``: the module's identifiers replaced by stable placeholders.

A log sent outside the company should not carry the module's IMEI, the SIM's
IMSI and ICCID, or the address the network gave the module. The report reads a
capture twice; on the first pass :class:`Masker` learns those values:

* from the answers to the commands that ask for them: ``AT+CGSN``/``AT+GSN``
  (IMEI), ``AT+CIMI`` (IMSI), ``AT+QCCID``/``AT+CCID``/``AT+ICCID`` (ICCID),
  ``+CGPADDR:`` and ``+IP:`` (the module's address);
* from the shape of any number seen anywhere (responses, URCs, payloads, notes):
  a 19-20 digit number starting ``89`` is an ICCID, a 15-digit number that
  passes the Luhn check is an IMEI, another 15-digit number an IMSI.

On the second pass every occurrence, in any text written (the transcript, the
notes, the header, the timeline), is replaced by a placeholder: the first
IMEI seen becomes ``IMEI-1``, the next ``IMEI-2``, the same value always the
same placeholder. The hexadecimal form of a value (a payload in hex
dataformat) is replaced by the hexadecimal form of its placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.link.results import CommandFinished, LinkEvent, Rx
from app.protocol import events as ev

#: Kinds of identifier, in the order a summary lists them.
KINDS = ("IMEI", "IMSI", "ICCID", "MODULE-IP")

#: Commands whose answer is an identifier, by the command's name.
_ANSWERS = {
    "+CGSN": "IMEI",
    "+GSN": "IMEI",
    "+CIMI": "IMSI",
    "+QCCID": "ICCID",
    "+CCID": "ICCID",
    "+ICCID": "ICCID",
}
_NUMBER = re.compile(r"(?<![0-9])[0-9]{15,20}(?![0-9])")
_ICCID_BODY = re.compile(r"(?<![0-9A-Za-z])89[0-9]{16,18}[0-9Ff]?(?![0-9A-Za-z])")
_TOKEN = re.compile(r"[0-9A-Fa-f]{10,22}")


def luhn_ok(digits: str) -> bool:
    """The Luhn check an IMEI's last digit satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def guess_kind(number: str) -> str | None:
    """What a bare number probably is, by its shape alone."""
    if len(number) in (19, 20) and number.startswith("89"):
        return "ICCID"
    if len(number) == 15:
        return "IMEI" if luhn_ok(number) else "IMSI"
    return None


class Masker:
    """Learns identifiers (:meth:`learn`, :meth:`learn_event`, :meth:`scan`),
    then replaces them in text (:meth:`mask`) and bytes (:meth:`mask_bytes`)."""

    def __init__(self) -> None:
        #: value -> placeholder, once learning is over (see :meth:`_compile`).
        self.values: dict[str, str] = {}
        #: value -> kind, in the order first seen; what a command's answer says
        #: wins over a guess from a number's shape.
        self._kinds: dict[str, str] = {}
        self._sure: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._table: dict[str, str] = {}
        self._bytes_pattern: re.Pattern[bytes] | None = None
        self._bytes_table: dict[bytes, bytes] = {}
        self._dirty = False

    def __bool__(self) -> bool:
        return bool(self._kinds)

    # -- learning -----------------------------------------------------------------------

    def learn(self, kind: str, value: str, *, sure: bool = True) -> None:
        """Remember ``value`` as an identifier of ``kind`` (``sure``: from the
        answer to the command that asks for it, not a guess from its shape)."""
        value = value.strip().strip('"')
        if not value:
            return
        if value in self._kinds and (value in self._sure or not sure):
            return
        self._kinds[value] = kind
        if sure:
            self._sure.add(value)
        self._dirty = True

    def scan(self, text: str) -> None:
        """Learn the numbers in ``text`` that look like identifiers."""
        if len(text) < 15:
            return
        for match in _ICCID_BODY.finditer(text):
            self.learn("ICCID", match.group(), sure=False)
        for match in _NUMBER.finditer(text):
            number = match.group()
            if number in self._kinds:
                continue
            kind = guess_kind(number)
            if kind is not None:
                self.learn(kind, number, sure=False)

    def learn_event(self, item: LinkEvent) -> None:
        """Learn from one replayed link event: the module's address from
        ``+CGPADDR:``/``+IP:``, identifiers from the answers to the commands
        that ask for them, and anything shaped like one in a received line."""
        if isinstance(item, Rx):
            event = item.event
            if isinstance(event, ev.PdpAddress | ev.IpAddress) and event.address:
                self.learn("MODULE-IP", event.address)
            self.scan(event.text)
            if isinstance(event, ev.QiUrcRecv):
                self.scan(event.data.decode("utf-8", "replace"))
        elif isinstance(item, CommandFinished):
            result = item.result
            kind = _ANSWERS.get(result.command.name.upper())
            if kind is None:
                return
            for line in result.lines:
                body = line.text.split(":", 1)[1] if ":" in line.text else line.text
                for token in _TOKEN.findall(body):
                    self.learn(kind, token)

    def learn_all(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.scan(text)

    # -- masking ------------------------------------------------------------------------

    def _compile(self) -> None:
        counts = dict.fromkeys(KINDS, 0)
        self.values = {}
        for value, kind in self._kinds.items():
            counts[kind] = counts.get(kind, 0) + 1
            self.values[value] = f"{kind}-{counts[kind]}"
        table: dict[str, str] = {}
        hexes: dict[str, str] = {}
        for value, placeholder in self.values.items():
            table[value] = placeholder
            hexed = value.encode("utf-8").hex()
            hexed_placeholder = placeholder.encode("ascii").hex()
            hexes[hexed] = hexed_placeholder
            hexes[hexed.upper()] = hexed_placeholder.upper()
        self._table = {**hexes, **table}
        self._bytes_table = {k.encode("utf-8"): v.encode("utf-8") for k, v in self._table.items()}
        if not table:
            self._pattern = self._bytes_pattern = None
            self._dirty = False
            return

        def alternation(keys: Iterable[str]) -> str:
            return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))

        # A value stands alone (127.0.0.1 never masks 127.0.0.10); its hex form
        # sits anywhere in a longer run of hex digits (a payload in hex).
        source = f"(?<![0-9A-Za-z])(?:{alternation(table)})(?![0-9A-Za-z])|{alternation(hexes)}"
        self._pattern = re.compile(source)
        self._bytes_pattern = re.compile(source.encode("utf-8"))
        self._dirty = False

    def mask(self, text: str) -> str:
        """``text`` with every learned identifier replaced by its placeholder."""
        if self._dirty:
            self._compile()
        pattern = self._pattern
        if pattern is None:
            return text
        table = self._table
        return pattern.sub(lambda m: table[m.group()], text)

    def mask_bytes(self, data: bytes) -> bytes:
        if self._dirty:
            self._compile()
        pattern = self._bytes_pattern
        if pattern is None:
            return data
        table = self._bytes_table
        return pattern.sub(lambda m: table[m.group()], data)

    def summary(self) -> list[str]:
        """``IMEI-1``, ``MODULE-IP-1``... in the order learned (never the values)."""
        if self._dirty:
            self._compile()
        order = {kind: i for i, kind in enumerate(KINDS)}
        return sorted(self.values.values(), key=lambda p: (order.get(p.rsplit("-", 1)[0], 9), p))


__all__ = ["KINDS", "Masker", "guess_kind", "luhn_ok"]
