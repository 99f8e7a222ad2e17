"""``python -m bot.cli``, the same as ``focalbot``."""

from . import main

main()
