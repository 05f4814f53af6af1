"""The demo district: a complete, deterministic export set of a Qiaocheng-like district.

``generate(out, scale="district", seed=2023)`` writes every kind of export file the build reads
(grid and household registers, the questionnaire, eight visit rounds, cases and their flow,
callbacks, petitions), calibrated so that 2023Q1 gives the published figures, with realistic
unevenness and a few planted bad rows; ``cli_demo`` is ``warmvisits demo``.
"""

from warmvisits.demo.core import DemoSummary, cli_demo, generate
from warmvisits.demo.output import PlantedRow
from warmvisits.demo.places import SCALES

__all__ = ["SCALES", "DemoSummary", "PlantedRow", "cli_demo", "generate"]
