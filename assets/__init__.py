"""What qiterm reads at run time: the stylesheet, the shipped scenarios and the
sample profile. Installed as the package ``app.assets`` (see pyproject.toml) and
read with importlib.resources (:mod:`app.config.shipped`), so a wheel carries it."""
