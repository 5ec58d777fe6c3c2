"""Cost of plans and stacks: a price catalogue (data), pure estimates over a Plan, and their text."""

from .catalogue import Catalogue, Price, Tier, load_catalogue
from .estimate import CostEstimate, CostItem, estimate_plan, run_rate

__all__ = ["Catalogue", "CostEstimate", "CostItem", "Price", "Tier", "estimate_plan", "load_catalogue", "run_rate"]
