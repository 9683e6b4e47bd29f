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
REFRESH = "idea.refresh"  # Universal Actions refresh: the card as it is now
REASSIGN = "idea.reassign"
WITHDRAW = "idea.withdraw"
SECOND_LOOK = "idea.second_look"
COMMENT = "idea.comment"
OPEN_APPROVAL = "idea.open"  # the full approval card for one idea (from "my approvals")
MY_APPROVALS = "approvals.mine"
DELEGATE_OPEN = "delegate.open"
DELEGATE_SET = "delegate.set"
DELEGATE_END = "delegate.end"
VIEW_IDEA = "idea.view"
IDEA_READ = "idea.read"  # the full text of an idea whose card had to be shortened, page by page
LANGUAGE = "language.set"


# Buttons that open another view: the bot posts that view as a new card and leaves the card
# they were on as it was (a receipt keeps its approval route).
NAVIGATION_VERBS = {PITCH_OPEN, MY_IDEAS, HELP, VIEW_IDEA}

DECISION_VERBS = {APPROVE: "approved", RETURN: "returned", REJECT: "rejected"}
