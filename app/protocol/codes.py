"""Result codes of the BC660K-GL TCP/IP stack (spec chapter 3, Table 2).

These codes appear in deferred results (``+QIOPEN: <id>,<result>``, ``+QPING:``,
``+QNTP:``, ``+QIDNSGIP:``) and, with ``AT+CMEE=1``, in ``+CME ERROR: <n>``.
"""

from __future__ import annotations

from enum import IntEnum


class ResultCode(IntEnum):
    """Chapter 3, Table 2 "Summary of Result Codes"."""

    OPERATION_SUCCESSFUL = 0
    UNKNOWN_ERROR = 550
    OPERATION_BLOCKED = 551
    PARAMETERS_INVALID = 552
    MEMORY_NOT_ENOUGH = 553
    CREATE_SOCKET_FAILED = 554
    OPERATION_NOT_SUPPORTED = 555
    SOCKET_BIND_FAILED = 556
    SOCKET_LISTEN_FAILED = 557
    SOCKET_WRITE_FAILED = 558
    SOCKET_READ_FAILED = 559
    SOCKET_ACCEPT_FAILED = 560
    OPEN_PDP_CONTEXT_FAILED = 561
    CLOSE_PDP_CONTEXT_FAILED = 562
    SOCKET_IDENTITY_USED = 563
    DNS_BUSY = 564
    DNS_PARSE_FAILED = 565
    SOCKET_CONNECTION_FAILED = 566
    SOCKET_CLOSED = 567
    OPERATION_BUSY = 568
    OPERATION_TIMEOUT = 569
    PDP_CONTEXT_BROKE_DOWN = 570
    SEND_CANCELED = 571
    OPERATION_NOT_ALLOWED = 572
    APN_NOT_CONFIGURED = 573
    PORT_BUSY = 574

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


# The descriptions exactly as Table 2 words them.
_MEANINGS: dict[ResultCode, str] = {
    ResultCode.OPERATION_SUCCESSFUL: "Operation successful",
    ResultCode.UNKNOWN_ERROR: "Unknown error",
    ResultCode.OPERATION_BLOCKED: "Operation blocked",
    ResultCode.PARAMETERS_INVALID: "Parameters invalid",
    ResultCode.MEMORY_NOT_ENOUGH: "Memory not enough",
    ResultCode.CREATE_SOCKET_FAILED: "Create socket failed",
    ResultCode.OPERATION_NOT_SUPPORTED: "Operation not supported",
    ResultCode.SOCKET_BIND_FAILED: "Socket bind failed",
    ResultCode.SOCKET_LISTEN_FAILED: "Socket listen failed",
    ResultCode.SOCKET_WRITE_FAILED: "Socket write failed",
    ResultCode.SOCKET_READ_FAILED: "Socket read failed",
    ResultCode.SOCKET_ACCEPT_FAILED: "Socket accept failed",
    ResultCode.OPEN_PDP_CONTEXT_FAILED: "Open PDP context failed",
    ResultCode.CLOSE_PDP_CONTEXT_FAILED: "Close PDP context failed",
    ResultCode.SOCKET_IDENTITY_USED: "Socket identity has been used",
    ResultCode.DNS_BUSY: "DNS busy",
    ResultCode.DNS_PARSE_FAILED: "DNS parse failed",
    ResultCode.SOCKET_CONNECTION_FAILED: "Socket connection failed",
    ResultCode.SOCKET_CLOSED: "Socket closed",
    ResultCode.OPERATION_BUSY: "Operation busy",
    ResultCode.OPERATION_TIMEOUT: "Operation timeout",
    ResultCode.PDP_CONTEXT_BROKE_DOWN: "PDP context broke down",
    ResultCode.SEND_CANCELED: "Send Canceled",
    ResultCode.OPERATION_NOT_ALLOWED: "Operation not allowed",
    ResultCode.APN_NOT_CONFIGURED: "APN not configured",
    ResultCode.PORT_BUSY: "Port busy",
}


def lookup(code: int) -> ResultCode | None:
    """The ResultCode for ``code``, or None when Table 2 does not list it."""
    try:
        return ResultCode(code)
    except ValueError:
        return None


def describe(code: int) -> str:
    """``"566 Socket connection failed"``; unknown codes say so instead of raising."""
    known = lookup(code)
    if known is None:
        return f"{code} (not a result code of the spec)"
    return f"{code} {known.meaning}"
