"""The demo catalogue of categories, with questions and what citizens typically write.

Radii are in metres: how far apart two reports may be and still describe the same problem.
SLAs are in working days. Three categories are not the municipality's (motorway damage, gas
leak, water main leak): the citizen is told where to go instead.
"""

from reports.demo.categories.environment import GREEN, WASTE
from reports.demo.categories.services import DIGITAL, OTHER, SAFETY
from reports.demo.categories.streets import LIGHTING, ROADS

CATEGORIES = ROADS + LIGHTING + WASTE + GREEN + SAFETY + DIGITAL + OTHER
