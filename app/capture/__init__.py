"""Session capture: the recorder (:mod:`~app.capture.recorder`, JSON Lines written
from the serial worker thread), the reader (:mod:`~app.capture.reader`, tolerates
a torn last line), the replay of a capture into link events
(:mod:`~app.capture.replay`), and ``qiterm export`` (:mod:`~app.capture.export`):
the report's two streaming passes (:mod:`~app.capture.survey` for the summary,
:mod:`~app.capture.report` for the transcript), its writers
(:mod:`~app.capture.report_text`, :mod:`~app.capture.report_html`), the socket
timeline (:mod:`~app.capture.timeline`, drawn by :mod:`~app.capture.timeline_draw`
and :mod:`~app.capture.timeline_svg`) and ``--mask`` (:mod:`~app.capture.mask`).

The package itself imports nothing, so recording does not pay for the exporters.
"""
