"""``python -m dubbo``: the ``dubbo`` command-line client (see ``dubbo/_cli.py``)."""

from ._cli import run

run()
