"""LangChain tools the agent calls. Thin: validate, call the domain, store, format."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from fitcoach.admin.prompt_service import PromptService
from fitcoach.tools.charts import make_show_chart
from fitcoach.tools.meals import make_log_meal
from fitcoach.tools.personality import make_set_personality
from fitcoach.tools.photos import make_analyze_food_photo
from fitcoach.tools.plans import make_plan_tools
from fitcoach.tools.profile import make_log_body_weight, make_update_profile
from fitcoach.tools.progress import make_check_progress, make_undo_last_entry
from fitcoach.tools.reminders import make_reminder_tools
from fitcoach.tools.runtime import ToolServices
from fitcoach.tools.workouts import make_log_workout

__all__ = ["ToolServices", "build_tools"]


def build_tools(services: ToolServices, prompts: PromptService | None = None) -> list[BaseTool]:
    """Every tool the coach may call, bound to the given services."""
    return [
        make_log_meal(services),
        make_log_workout(services),
        make_log_body_weight(services),
        make_check_progress(services),
        make_undo_last_entry(services),
        make_update_profile(services),
        make_analyze_food_photo(services),
        *make_plan_tools(services),
        make_set_personality(services, prompts),
        make_show_chart(services),
        *make_reminder_tools(services),
    ]
