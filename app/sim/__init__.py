"""The simulated BC660K-GL (registers the ``sim://`` pyserial URL handler on import)."""
