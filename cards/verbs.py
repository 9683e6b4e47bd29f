"""The `verb` of every Action.Execute the bot understands: one list, shared by cards and handlers."""

PITCH_OPEN = "pitch.open"
PITCH_SUBMIT = "pitch.submit"
PITCH_RESUBMIT = "pitch.resubmit"
MY_IDEAS = "ideas.mine"
HELP = "help.show"
APPROVE = "idea.approve"
RETURN = "idea.return"
REJECT = "idea.reject"
DIGEST_SHORTLIST = "digest.shortlist"
DIGEST_NUDGE = "digest.nudge"
IDEA_READ = "idea.read"  # the full text of an idea whose card had to be shortened, page by page

DECISION_VERBS = {APPROVE: "approved", RETURN: "returned", REJECT: "rejected"}
