"""话术与服务礼仪: the etiquette checker, pure (no web framework, no database). Rules are data in ``rules.toml``;
``check`` takes one agent message in its conversation, ``check_transcript`` a whole conversation. The HTTP
route (``kefu.compliance.api``) and the command (``kefu.compliance.cli``) are thin edges over it."""

from kefu.compliance.checker import RULES, Message, Violation, blocked, check, check_transcript
from kefu.compliance.rules import RulesError, RuleSet, default_rules, load_rules

__all__ = ["RULES", "Message", "RuleSet", "RulesError", "Violation", "blocked", "check", "check_transcript",
           "default_rules", "load_rules"]
