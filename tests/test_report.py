"""The export as a report, on captures of real scenario runs on the simulator.

One run of tests/fixtures/every_socket.qis (``qiterm run`` on ``sim://`` with the
module at 127.0.0.5 and the loopback demo peers) is shared by the tests: a TCP
and a UDP client, a TCP LISTENER with a client of the same module, a UDP
SERVICE, ping, NTP and DNS, a busy connectID, a SEND FAIL and a refused
connection, with notes and markers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from app.capture.export import export_main, report_string
from app.capture.reader import iter_records
from app.capture.report import Fold, Heading, Line, ReportOptions, prepare, transcript
from app.capture.timeline import Kind
from app.model.render import MARKS
from app.protocol.codes import describe
from app.session.run import run_main

ROOT = Path(__file__).resolve().parent
SCRIPT = ROOT / "fixtures" / "every_socket.qis"
MODULE_IP = "127.0.0.5"
IMEI = "866818039921444"  # the simulator's
IMSI = "460011234567890"  # in a note of the scenario
ICCID = "89860317422045861234"
IDENTIFIERS = (IMEI, IMSI, ICCID, MODULE_IP)


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("report") / "every.jsonl"
    out, err = io.StringIO(), io.StringIO()
    code = run_main(
        str(SCRIPT),
        f"sim://?ip={MODULE_IP}",
        str(path),
        [],
        out=Console(file=out, width=120),
        err=Console(file=err, width=120),
    )
    assert code == 0, out.getvalue() + err.getvalue()
    yield path


def text_of(path: Path, **options: object) -> str:
    return report_string(path, "text", ReportOptions(**options))  # type: ignore[arg-type]


def section(text: str, title: str) -> list[str]:
    """The lines of the text report's block under ``title`` (up to a blank line)."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = lines.index("", start)
    return lines[start:end]


# -- the header ------------------------------------------------------------------------------


def test_the_header_says_what_a_reader_asks_first(capture: Path) -> None:
    text = text_of(capture)
    head = text.split("\n\n")[1].splitlines()
    facts = dict(re.match(r"(\w[\w ]*?)\s{2,}(.*)", row).groups() for row in head)  # type: ignore[union-attr]
    assert facts["Module"] == "Quectel_Ltd Quectel_BC660K-GL"
    assert facts["Firmware"] == "BC660KGLAAR01A05"
    assert facts["IMEI"] == IMEI
    assert facts["Module IP"] == MODULE_IP
    assert facts["Port"].startswith("sim://?") and facts["Port"].endswith(" at 115200 baud")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC", facts["Started"])
    assert re.fullmatch(r"\d+\.\d{3} s \(\d+ records\)", facts["Duration"])
    assert facts["Commands"].startswith("27 yours (script 27)")
    # The first AT after the port opens is the re-synchronisation's, the rest read the state.
    assert "6 start-up queries, 1 re-synchronisation" in facts["Commands"]
    assert facts["Sockets"] == "7 sockets (1 failed to open)"
    assert facts["Errors"] == "3"
    assert facts["Notes"].endswith("7 markers")
    # The socket payload both ways: 14 + 35 TCP, 14 UDP, 16 each way on the
    # listener's pair, 8 on the service.
    assert facts["Traffic"].startswith("socket data 103 B sent, 103 B received")
    assert "Folded" in facts and "start-up queries (25 lines)" in facts["Folded"]
    assert "1 command of re-synchronisation (3 lines)" in facts["Folded"]


def test_every_socket_type_is_listed_with_its_peer(capture: Path) -> None:
    rows = section(text_of(capture), "Sockets")[2:]
    table = [re.split(r"\s{2,}", row.strip()) for row in rows]
    kinds = [(r[0], r[1]) for r in table]
    assert kinds == [
        ("0", "TCP"),
        ("0", "UDP"),
        ("0", "TCP LISTENER"),
        ("1", "TCP"),
        ("2", "TCP INCOMING"),
        ("3", "UDP SERVICE"),
        ("4", "TCP"),
    ]
    by = {(r[0], r[1]): r for r in table}
    assert re.fullmatch(r"echo\.qiterm\.local:\d+", by["0", "TCP"][2])
    assert re.fullmatch(r"127\.0\.0\.1:\d+", by["0", "UDP"][2])
    assert by["0", "TCP LISTENER"][2].startswith(f"listening on {MODULE_IP}:")
    assert re.fullmatch(r"client 127\.0\.0\.1:\d+ \(listener #0\)", by["2", "TCP INCOMING"][2])
    assert by["3", "UDP SERVICE"][2].startswith(f"service on {MODULE_IP}:")
    assert by["4", "TCP"][4] == f"+QIOPEN: 4,566 ({describe(566)})"
    assert by["0", "TCP"][4] == "+QIOPEN: 0,0"
    assert by["2", "TCP INCOMING"][4] == "incoming"
    closed = by["2", "TCP INCOMING"][5]
    assert "by the peer" in closed and "AT+QICLOSE" in closed
    assert by["0", "TCP"][6:] == ["49 B in 2 sends", "49 B in 2 URCs"]
    assert by["2", "TCP INCOMING"][6] == "16 B in 1 send, 1 failed"
    assert by["3", "UDP SERVICE"][6:] == ["8 B in 1 send", "8 B in 1 URC"]


def test_errors_carry_their_decoded_result_codes(capture: Path) -> None:
    rows = section(text_of(capture), "Errors (3)")[2:]
    assert len(rows) == 3
    assert re.search(r'AT\+QIOPEN=0,0,"TCP",.*\+QIOPEN: 0,563\s+563 Socket identity', rows[0])
    assert re.search(r'AT\+QISEND=2,8,"too late"\s+SEND FAIL', rows[1])
    assert re.search(r"AT\+QIOPEN=0,4,.*\+QIOPEN: 4,566\s+566 Socket connection failed", rows[2])


def test_ping_ntp_and_dns_results(capture: Path) -> None:
    rows = section(text_of(capture), "Ping, NTP and DNS")[2:]
    services = {re.split(r"\s{2,}", r.strip())[1]: re.split(r"\s{2,}", r.strip()) for r in rows}
    assert services["ping"][2] == "echo.qiterm.local"
    assert services["ping"][3].startswith("2 sent, 2 received, 0 lost; round trip min")
    assert re.fullmatch(r"time\.qiterm\.local:\d+", services["NTP"][2])
    assert re.fullmatch(r"time \d{4}/\d\d/\d\d,\d\d:\d\d:\d\d", services["NTP"][3])
    assert services["DNS"][2:] == ["echo.qiterm.local", "127.0.0.1"]


def test_the_contents_lists_markers_and_their_notes(capture: Path) -> None:
    rows = section(text_of(capture), "Contents")
    markers = [r for r in rows if re.match(r"\s{2}\s*\d+\. marker", r)]
    assert [re.search(r"marker \d: (.*?)  ", m).group(1) for m in markers] == [  # type: ignore[union-attr]
        "identity",
        "services",
        "TCP client",
        "UDP client",
        "listener",
        "service",
        "errors",
    ]
    notes = [r for r in rows if r not in markers]
    assert all(r.startswith("      ") for r in notes)  # indented under their marker
    assert any("SEND FAIL" in r for r in notes)


# -- the transcript ---------------------------------------------------------------------------

#: A transcript line: gutter, time since the start, mark, the line.
LINE = re.compile(r"^([┌│└╶ ]) \+\s*(\d+\.\d{3})s (\S) (.*?)(?:  \[(\d+\.\d) ms\])?$")


def transcript_lines(text: str) -> list[re.Match[str]]:
    body = text.split("\nTranscript\n==========\n", 1)[1]
    return [m for m in map(LINE.match, body.splitlines()) if m]


def test_every_line_shows_what_it_is(capture: Path) -> None:
    lines = transcript_lines(text_of(capture))
    marks = {(m.group(3), m.group(4)) for m in lines}
    assert (MARKS["sent"], "AT+CGSN=1") in marks
    assert (MARKS["echo"], "AT+CGSN=1") in marks  # the echo reads apart from the command
    assert (MARKS["response"], f"+CGSN: {IMEI}") in marks
    assert (MARKS["urc"], '+QIURC: "recv",0,14,"Hello over TCP"') in marks
    incoming = '+QIURC: "incoming",2,0,'
    assert any(mark == MARKS["urc"] and text.startswith(incoming) for mark, text in marks)
    assert (MARKS["urc"], '+QIURC: "closed",2') in marks
    assert (MARKS["note"], "// a send on a socket its peer closed: SEND FAIL") in marks
    assert (MARKS["note"], "── marker 5: listener ──") in marks
    assert any(mark == MARKS["app"] and text.startswith("link connected") for mark, text in marks)
    assert (MARKS["response"], f"+QIOPEN: 4,566  ({describe(566)})") in marks
    # Every mark is in the legend.
    legend = section(text_of(capture), "Legend")
    for mark in MARKS.values():
        assert any(row.strip().startswith(mark + " ") for row in legend), mark


def test_commands_are_grouped_with_their_answer_and_elapsed_time(capture: Path) -> None:
    lines = transcript_lines(text_of(capture))
    dns = 'AT+QIDNSGIP=0,"echo.qiterm.local"'
    first = next(i for i, m in enumerate(lines) if m.group(4) == dns)
    group = lines[first : first + 5]
    assert [m.group(1) for m in group] == ["┌", "│", "│", "│", "└"]
    assert [m.group(3) for m in group] == ["→", "↩", "←", "←", "←"]
    assert group[-1].group(4) == "+QIDNSGIP: 127.0.0.1" and group[-1].group(5) is not None
    # A failed command ends with qiterm's line for the failure, with its time.
    used = "563 Socket identity has been used"
    busy = next(i for i, m in enumerate(lines) if m.group(4).endswith(used))
    assert lines[busy].group(1) == "└" and lines[busy].group(3) == "·" and lines[busy].group(5)
    # URCs between commands stand alone.
    recv = next(m for m in lines if m.group(4) == '+QIURC: "recv",0,14,"Hello over UDP"')
    assert recv.group(1) == " "


def test_start_up_queries_are_folded_and_all_keeps_them(capture: Path) -> None:
    text = text_of(capture)
    body = text.split("\nTranscript\n", 1)[1]
    assert 'AT+QICFG="dataformat"\n' not in body.replace("  [", "\n")  # the init query
    assert "⋯ start-up queries: " in body
    folded = [line for line in body.splitlines() if line.strip().startswith("⋯")]
    counted = sum(int(re.search(r"(\d+) lines? folded", f).group(1)) for f in folded)  # type: ignore[union-attr]
    assert counted == 28
    everything = text_of(capture, keep_all=True)
    assert "⋯" not in everything.split("\nTranscript\n", 1)[1]
    kept = [m.group(4) for m in transcript_lines(everything)]
    assert 'AT+QICFG="dataformat"' in kept and "Revision: BC660KGLAAR01A05" in kept
    assert len(kept) == len(transcript_lines(text)) + 28


def test_the_report_lines_are_the_viewers_lines(capture: Path) -> None:
    """With --all, the transcript is the log as qiterm view draws it, line for line."""
    from app.capture.replay import Replayer
    from app.model.render import LineView, render_entry

    records = iter_records(capture)
    header = next(records)
    origin = header["t"] / 1_000_000
    replayer = Replayer()
    view = LineView(stamps="relative")
    shown = [
        render_entry(entry, {}, view=view, origin=origin).plain
        for record in records
        for step in replayer.steps(record)
        for entry in step.entries
    ]
    body = text_of(capture, keep_all=True).split("\n==========\n\n", 1)[1]
    lines = [line[2:] for line in body.splitlines() if line and line[2:].startswith("+")]
    lines = [re.sub(r"  \[\d+\.\d ms\]$", "", line) for line in lines]
    assert lines == shown


# -- Markdown and HTML --------------------------------------------------------------------------


def test_markdown_contents_link_to_anchors(capture: Path) -> None:
    md = report_string(capture, "md")
    links = re.findall(r"\]\(#([\w-]+)\)", md)
    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', md))
    assert links and set(links) <= anchors
    assert md.count("````text") == md.count("````") - md.count("````text")
    assert "| 4 | TCP | 127\\.0\\.0\\.1:1 |" not in md  # dots are not escaped
    assert f"| 3 | UDP SERVICE | service on {MODULE_IP}:" in md


def test_html_is_one_safe_file_whose_links_resolve(capture: Path) -> None:
    html = report_string(capture, "html")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "default-src 'none'" in html  # nothing can be loaded or run
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert re.findall(r"https?://[^\"]*", html) == ["http://www.w3.org/2000/svg"]
    ids = set(re.findall(r'id="([^"]+)"', html))
    hrefs = re.findall(r'href="#([^"]*)"', html)
    assert hrefs and [h for h in hrefs if h not in ids] == []
    assert len(ids) == len(re.findall(r' id="', html))  # no id twice
    assert "prefers-color-scheme: dark" in html and "@media print" in html
    assert '<svg class="timeline"' in html
    # Each line keeps its kind; groups are coloured by how their command ended.
    for kind in ("sent", "echo", "response", "urc", "app"):
        assert f'class="l k-{kind}"' in html
    assert '<div class="g ok">' in html and '<div class="g err">' in html


# -- the timeline ---------------------------------------------------------------------------------


def test_the_timeline_has_a_lane_per_connect_id(capture: Path) -> None:
    tl = prepare(capture).summary.timeline
    assert sorted(tl.lanes) == [0, 1, 2, 3, 4]
    assert [life.service_type for life in tl.lanes[0].lives] == ["TCP", "UDP", "TCP LISTENER"]
    kinds = {cid: [e.kind for e in lane.events()] for cid, lane in tl.lanes.items()}
    assert kinds[0][:5] == [Kind.OPEN, Kind.SEND, Kind.RECV, Kind.SEND, Kind.RECV]
    assert Kind.OPEN_FAILED in kinds[0]  # the busy connectID (563)
    assert kinds[2] == [
        Kind.INCOMING,
        Kind.RECV,
        Kind.SEND,
        Kind.REMOTE_CLOSE,
        Kind.SEND_FAIL,
        Kind.CLOSE,
    ]
    assert kinds[4] == [Kind.OPEN_FAILED, Kind.CLOSE]
    sizes = [e.size for e in tl.lanes[3].events() if e.kind in (Kind.SEND, Kind.RECV)]
    assert sizes == [8, 8]
    recv = next(e for e in tl.lanes[3].events() if e.kind is Kind.RECV)
    assert recv.detail.startswith("from 127.0.0.1:")
    assert all(tl.begin <= e.t <= tl.end for e in tl.events())


def test_the_text_timeline_draws_each_lane(capture: Path) -> None:
    rows = section(text_of(capture), "Socket timeline")
    lanes = {row.split()[0]: row for row in rows if row.startswith("  #")}
    assert set(lanes) == {"#0", "#1", "#2", "#3", "#4"}
    assert "○" in lanes["#2"] and "✗" in lanes["#2"] and "◎" in lanes["#2"]
    assert "⊗" in lanes["#4"]
    assert lanes["#0"].startswith("  #0 TCP LISTENER :") and "(+2)" in lanes["#0"]


# -- slices -------------------------------------------------------------------------------------


def test_from_and_to_markers_export_a_slice(capture: Path) -> None:
    text = text_of(capture, start="3", stop="4")
    assert "Slice      from marker 3 (TCP client) to marker 4 (UDP client): +" in text
    lines = [m.group(4) for m in transcript_lines(text)]
    assert lines[0] == "── marker 3: TCP client ──"
    assert not any("UDP" in line for line in lines)
    assert any("Hello over TCP" in line for line in lines)
    rows = section(text, "Sockets")[2:]
    assert len(rows) == 1 and rows[0].split()[:2] == ["0", "TCP"]
    # Words of a marker's text work too, and a time since the start.
    by_words = text_of(capture, start="listener", stop="service")
    assert next(m.group(4) for m in transcript_lines(by_words)) == "── marker 5: listener ──"
    everything = transcript_lines(text_of(capture))
    cut = float(everything[len(everything) // 2].group(2))
    later = transcript_lines(text_of(capture, start=f"+{cut}"))
    assert later and float(later[0].group(2)) >= cut
    earlier = transcript_lines(text_of(capture, stop=f"+{cut}"))
    assert earlier and float(earlier[-1].group(2)) <= cut


def test_a_missing_marker_is_a_clear_error(capture: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "x.txt"
    assert export_main(str(capture), "text", str(out), start="9") == 2
    err = capsys.readouterr().err
    assert "no marker 9 in the capture (it has: 1 (identity), 2 (services)" in err
    assert not out.exists()
    assert export_main(str(capture), "text", None, start="5", stop="2") == 2
    assert "is empty: its end comes before its start" in capsys.readouterr().err
    assert export_main(str(capture), "text", None, start="+x") == 2
    assert "a time since the start is +SECONDS" in capsys.readouterr().err


def test_items_come_in_capture_order(capture: Path) -> None:
    report = prepare(capture)
    walls = []
    for item in transcript(report):
        if isinstance(item, Line | Heading):
            entry = item.entry if isinstance(item, Line) else item.line.entry
            walls.append(entry.wall)
        else:
            assert isinstance(item, Fold) and item.lines > 0
    assert walls == sorted(walls)


# -- --mask -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "md", "html", "jsonl"])
def test_mask_leaves_no_identifier_anywhere(capture: Path, tmp_path: Path, fmt: str) -> None:
    plain = report_string(capture, fmt).encode()
    for value in IDENTIFIERS:  # they are there to be masked
        assert value.encode() in plain, value
    out = tmp_path / f"masked.{fmt}"
    assert export_main(str(capture), fmt, str(out), mask=True) == 0
    data = out.read_bytes()
    for value in IDENTIFIERS:
        assert value.encode() not in data, value
        assert value.encode().hex().encode() not in data.lower(), value
    text = data.decode("utf-8")
    for placeholder in ("IMEI-1", "IMSI-1", "ICCID-1", "MODULE-IP-1"):
        assert placeholder in text
    assert "IMEI-2" not in text and "MODULE-IP-2" not in text  # the same value, the same name


def test_mask_reaches_responses_urcs_notes_and_the_header(capture: Path) -> None:
    text = report_string(capture, "text", ReportOptions(mask=True))
    assert "\nIMEI       IMEI-1\n" in text and "\nModule IP  MODULE-IP-1\n" in text
    assert "ip=MODULE-IP-1 at 115200 baud" in text  # the port's URL
    assert "Masked     identifiers replaced by placeholders: IMEI-1, " in text
    lines = {m.group(4) for m in transcript_lines(text)}
    assert "+CGSN: IMEI-1" in lines
    assert '+QIURC: "recv",0,35,"unit IMEI-1 at MODULE-IP-1\\r\\n"' in lines
    assert "// SIM of this unit: IMSI IMSI-1, ICCID ICCID-1" in lines
    assert any(line.startswith('AT+QIOPEN=0,0,"TCP LISTENER","MODULE-IP-1",0,') for line in lines)
    # The peers' address is not the module's: it stays.
    assert "+QIDNSGIP: 127.0.0.1" in lines


def test_a_masked_jsonl_is_still_a_capture(capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "masked.jsonl"
    assert export_main(str(capture), "jsonl", str(out), mask=True) == 0
    again = report_string(out, "text")
    for value in IDENTIFIERS:
        assert value not in again
    assert "IMEI       IMEI-1" in again


# -- the command line -------------------------------------------------------------------------


def test_qiterm_export_takes_every_option(capture: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from app.cli import main

    out = tmp_path / "slice.md"
    result = CliRunner().invoke(
        main,
        [
            "export",
            str(capture),
            "--format",
            "md",
            "--mask",
            "--all",
            "--from",
            "3",
            "--to",
            "UDP client",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    md = out.read_text("utf-8")
    assert "| Slice | from marker 3 (TCP client) to marker 4 (UDP client): +" in md
    assert IMEI not in md and "IMEI-1" in md
    assert "⋯" not in md  # --all
    help_text = CliRunner().invoke(main, ["export", "--help"]).output
    for option in ("--format", "--mask", "--from", "--to", "--all", "-o, --output"):
        assert option in help_text


# -- bounds ------------------------------------------------------------------------------------


def test_from_and_to_read_markers_offsets_clocks_and_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    from app.capture.survey import MarkerInfo, parse_bound, resolve_slice

    assert parse_bound("3").number == 3
    assert parse_bound("retry loop").words == "retry loop"
    assert parse_bound("+90").offset == 90
    assert parse_bound("+1:30").offset == 90
    assert parse_bound("+1:02:03.5").offset == 3723.5
    assert parse_bound("+2m").offset == 120
    assert parse_bound("+1h2m3s").offset == 3723
    assert parse_bound("14:03:20").clock == (14, 3, 20.0)
    for bad in ("+", "+x", "25:00", ""):
        with pytest.raises(ValueError):
            parse_bound(bad)
    monkeypatch.setenv("TZ", "UTC")
    time_module.tzset()
    try:
        origin = 1_767_225_600.0 + 12 * 3600  # 2026-01-01 12:00:00 UTC
        markers = [MarkerInfo(1, "boot", 5, 1.0), MarkerInfo(2, "retry", 40, 30.0)]
        piece = resolve_slice(
            parse_bound("12:00:30"), parse_bound("2026-01-01T12:01:00+00:00"), origin, markers
        )
        assert (piece.start_t, piece.stop_t) == (30.0, 60.0)
        # A clock time before the start is the next day's.
        assert resolve_slice(parse_bound("11:00"), None, origin, markers).start_t == 23 * 3600
        by_words = resolve_slice(parse_bound("boot"), parse_bound("retry"), origin, markers)
        assert (by_words.start_seq, by_words.stop_seq) == (5, 40)
        assert by_words.contains(5, 1.0) and not by_words.contains(40, 30.0)
    finally:
        monkeypatch.delenv("TZ")
        time_module.tzset()


def test_long_tables_are_cut_and_say_how_many_more(
    capture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.capture.survey as survey

    monkeypatch.setattr(survey, "TABLE_ROWS", 1)
    text = text_of(capture)
    rows = section(text, "Errors (3)")[2:]
    assert len(rows) == 2 and "… 2 more (the transcript has them all)" in rows[1]
    assert "… 2 more" in section(text, "Ping, NTP and DNS")[3]
