"""Start the console: read the profile, resolve the port (the demo peers start
on the built-in simulator), open the capture, build the session, run the app."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from app.capture.recorder import CaptureRecorder, capture_open_error, default_capture_path
from app.config.paths import welcome_marker
from app.config.profile import (
    DEFAULT_BAUD,
    DEFAULT_CAPTURE_MAX_SIZE,
    DEFAULT_CAPTURE_POLLS,
    DEFAULT_POLL,
    LINE_ENDINGS,
    LoadedProfile,
    Profile,
    load_profile,
    profile_path,
)
from app.console.app import QitermApp
from app.link.port import PortSettings
from app.session.session import Session
from app.session.target import TargetError, resolve

if TYPE_CHECKING:
    from app.capture.textlog import TextLog
    from app.config.recent import RecentPorts
    from app.demo.wiring import Demo


def open_capture(
    log_path: str | None,
    url: str,
    baud: int,
    folder: Path | None = None,
    *,
    force: bool = False,
    options: CaptureOptions | None = None,
) -> CaptureRecorder | None:
    """The session's capture: ``log_path`` (a new file: an existing one only with
    ``force``; its folder must exist), else a timestamped file in ``folder`` (a
    profile's log_folder) or the user log directory (created when missing);
    ``options``: its size limit and what it keeps of the polling."""
    options = options or CaptureOptions()
    if log_path:
        path = Path(log_path)
    else:
        path = default_capture_path()
        if folder is not None:
            path = folder / path.name
    try:
        return CaptureRecorder(
            path,
            url=url,
            baud=baud,
            replace=force and bool(log_path),
            make_folder=not log_path,
            max_size=options.max_size,
            polls=options.polls,
        )
    except OSError as exc:
        print(f"qiterm: {capture_open_error(path, exc)}", file=sys.stderr)
        return None


class CaptureOptions(msgspec.Struct, frozen=True):
    """How the capture is written: the size a file grows to before the next
    numbered part (None: no limit) and what it keeps of the polling."""

    max_size: int | None = DEFAULT_CAPTURE_MAX_SIZE
    polls: str = DEFAULT_CAPTURE_POLLS

    @classmethod
    def chosen(
        cls, profile: Profile | None, max_size: int | None = None, polls: str | None = None
    ) -> CaptureOptions:
        """The command line's choice (``max_size`` None: not given; 0: no limit),
        else the profile's, else the defaults."""
        base = profile or Profile()
        size = base.capture_max_size if max_size is None else max_size
        return cls(size or None, polls or base.capture_polls)


class SerialOptions(msgspec.Struct, frozen=True):
    """Serial settings given on the command line (None: the profile's, or the default)."""

    databits: int | None = None
    parity: str | None = None
    stopbits: float | None = None
    rtscts: bool | None = None
    xonxoff: bool | None = None
    line_ending: str | None = None
    local_echo: bool | None = None

    def settings(self, profile: Profile, baud: int) -> PortSettings:
        """The profile's framing and flow control, with what was given here winning."""
        base = profile.port_settings
        return replace(
            base,
            baudrate=baud,
            bytesize=base.bytesize if self.databits is None else self.databits,
            parity=base.parity if self.parity is None else self.parity,
            stopbits=base.stopbits if self.stopbits is None else self.stopbits,
            rtscts=base.rtscts if self.rtscts is None else self.rtscts,
            xonxoff=base.xonxoff if self.xonxoff is None else self.xonxoff,
        )


def open_text_log(
    path: str, capture: CaptureRecorder, *, keep_all: bool, force: bool
) -> TextLog | None:
    """``--text-log PATH``: a new private file following the capture (None, and
    the reason printed, when it cannot be created). Imported here: the text export
    it shares is not needed for the console's first frame."""
    from app.capture.textlog import TextLog

    try:
        return TextLog(path, capture, keep_all=keep_all, replace=force)
    except OSError as exc:
        why = capture_open_error(Path(path), exc).replace("the capture", "the text log")
        print(f"qiterm: {why.replace('write the capture', 'write the text log')}", file=sys.stderr)
        return None


def first_start() -> bool:
    marker = welcome_marker()
    if marker.exists():
        return False
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("The welcome panel was shown; delete this file to see it again.\n")
    except OSError:
        pass  # a read-only home: show the panel, the app still works
    return True


def choose_profile(name: str | None) -> LoadedProfile | None:
    """``--profile NAME|PATH``, else the profile named "default" when it exists."""
    if name is not None:
        return load_profile(name)
    if profile_path("default").is_file():
        return load_profile("default")
    return None


@dataclass
class Console:
    """One console as ``qiterm`` starts it: the app and the session it shows."""

    app: QitermApp

    @property
    def session(self) -> Session:
        return self.app.session

    @property
    def capture(self) -> CaptureRecorder | None:
        return self.app.session.capture

    @property
    def demo(self) -> Demo | None:
        """The demo peers running now (a port switch starts or stops them)."""
        return self.app.session.target.demo

    def close(self) -> None:
        """Stop what is still running once the app has ended (the demo peers)."""
        self.app.session.target.stop()


def prepare_console(
    *,
    port: str | None,
    baud: int | None,
    log_path: str | None,
    peers: bool = True,
    welcome: bool | None = None,
    profile: str | None = None,
    recent: RecentPorts | None = None,
    force: bool = False,
    serial: SerialOptions | None = None,
    text_log: str | None = None,
    text_log_all: bool = False,
    capture_max_size: int | None = None,
    capture_polls: str | None = None,
    log_memory: int | None = None,
) -> Console | None:
    """Build the console as ``qiterm`` (and ``make run``) starts it; None when the
    port can never open or the capture (or text log) asked for cannot be written
    (the message is printed).

    A profile fills what the command line leaves out: ``-p``, ``-b``, the serial
    options, the capture's (``capture_max_size`` in bytes, 0 for no limit) and
    ``--log-memory`` (``log_memory``, bytes) win."""
    loaded = choose_profile(profile)
    settings = loaded.profile if loaded is not None else None
    given = loaded.given if loaded is not None else frozenset()
    if port is None and settings is not None and "port" in given:
        port = settings.port
    if baud is None:
        baud = settings.baud if settings is not None else DEFAULT_BAUD
    options = serial or SerialOptions()
    try:
        port_settings = options.settings(settings or Profile(), baud)
    except ValueError as exc:
        print(f"qiterm: {exc}", file=sys.stderr)
        return None
    ending = LINE_ENDINGS[options.line_ending] if options.line_ending else None
    try:
        target = resolve(port, peers=peers)
    except TargetError as exc:
        print(f"qiterm: {exc}", file=sys.stderr)
        return None
    folder = settings.log_path if settings is not None else None
    if folder is not None and not log_path:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if loaded is not None:
                loaded.problems.append(
                    f"log_folder: cannot create {folder}: {exc.strerror or exc}; "
                    "capturing to the user log directory"
                )
            folder = None
    capture = open_capture(
        log_path,
        target.url,
        baud,
        folder,
        force=force,
        options=CaptureOptions.chosen(settings, capture_max_size, capture_polls),
    )
    if capture is None and (log_path or text_log):
        target.stop()
        return None  # asked for a file we cannot write: say so rather than run unrecorded
    written: TextLog | None = None
    if text_log and capture is not None:
        written = open_text_log(text_log, capture, keep_all=text_log_all, force=force)
        if written is None:
            capture.close()
            target.stop()
            return None

    show_welcome = target.demo is not None and (first_start() if welcome is None else welcome)
    session = Session(
        target,
        baud,
        capture=capture,
        profile=loaded,
        poll_interval=settings.poll_interval if settings is not None else DEFAULT_POLL,
        peers=peers,
        recent=recent,
        settings=port_settings,
        line_ending=ending,
        local_echo=options.local_echo,
        text_log=written,
        log_memory=log_memory,
    )
    return Console(QitermApp(session, welcome=show_welcome))


def pick_port(recent: RecentPorts) -> str | None:
    """``qiterm --pick``: a picker before the console opens; None when cancelled."""
    from app.console.picker import PickerApp
    from app.link.ports import list_ports

    known = recent.load()
    return PickerApp(lambda: list_ports(known)).run()


def run_console(
    *,
    port: str | None,
    baud: int | None,
    log_path: str | None,
    peers: bool = True,
    welcome: bool | None = None,
    profile: str | None = None,
    pick: bool = False,
    force: bool = False,
    serial: SerialOptions | None = None,
    text_log: str | None = None,
    text_log_all: bool = False,
    capture_max_size: int | None = None,
    capture_polls: str | None = None,
    log_memory: int | None = None,
) -> int:
    from app.config.recent import RecentPorts

    recent = RecentPorts()
    if pick and port is None:
        port = pick_port(recent)
        if port is None:
            with contextlib.suppress(OSError):  # the terminal may have hung up
                print("qiterm: no port chosen", file=sys.stderr)
            return 1
    console = prepare_console(
        port=port,
        baud=baud,
        log_path=log_path,
        peers=peers,
        welcome=welcome,
        profile=profile,
        recent=recent,
        force=force,
        serial=serial,
        text_log=text_log,
        text_log_all=text_log_all,
        capture_max_size=capture_max_size,
        capture_polls=capture_polls,
        log_memory=log_memory,
    )
    if console is None:
        return 2
    try:
        console.app.run()
    finally:
        console.close()
    if console.capture is not None:
        # The terminal may be gone (a hang-up ends the console): nowhere to say it then.
        with contextlib.suppress(OSError):
            print(f"qiterm: {console.capture.summary()}", file=sys.stderr)
    if console.session.text_log is not None:
        with contextlib.suppress(OSError):
            print(f"qiterm: {console.session.text_log.summary()}", file=sys.stderr)
    return console.app.return_code or 0
