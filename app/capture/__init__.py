"""Session capture: the recorder (:mod:`~app.capture.recorder`, JSON Lines written
from the serial worker thread), the reader (:mod:`~app.capture.reader`, tolerates
a torn last line), the exporters (:mod:`~app.capture.export`) and the replay of a
capture into link events (:mod:`~app.capture.replay`).

The package itself imports nothing, so recording does not pay for the exporters.
"""
