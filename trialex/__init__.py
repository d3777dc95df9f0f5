"""trialex: drugs, doses, trial sizes, response rates, p values and effect estimates from Japanese
and English trial abstracts, with exact character offsets."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trialex")
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0+unknown"
