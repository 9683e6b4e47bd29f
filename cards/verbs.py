"""The `verb` of every Action.Execute the bot understands: one list, shared by cards and handlers."""

PITCH_OPEN = "pitch.open"
PITCH_SUBMIT = "pitch.submit"
PITCH_RESUBMIT = "pitch.resubmit"
REVISE_OPEN = "pitch.revise"  # a returned idea's form, ready to revise, posted as a new card
PITCH_CANCEL = "pitch.cancel"  # the duplicate warning's Cancel: nothing is sent
MY_IDEAS = "ideas.mine"
HELP = "help.show"
APPROVE = "idea.approve"
RETURN = "idea.return"
REJECT = "idea.reject"
DIGEST_SHORTLIST = "digest.shortlist"
DIGEST_NUDGE = "digest.nudge"
DIGEST_OPEN = "digest.open"  # a deputy minister's digest for the week so far (the welcome's button)
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
CONNECT_ASK = "connect.ask"  # ask the submitter of a similar shared idea to talk
CONNECT_ACCEPT = "connect.accept"
CONNECT_DECLINE = "connect.decline"
PITCH_SIMILAR = "pitch.similar"  # the form's "Check for similar ideas"
LESSON_OPEN = "lesson.open"  # the invitation's "Share what you learned": the lesson form
LESSON_SAVE = "lesson.save"
IDEA_SHARE = "idea.share"  # the submitter shares an idea with the public service, or stops (My ideas)
IDEA_READ = "idea.read"  # the full text of an idea whose card had to be shortened, page by page
LANGUAGE = "language.set"


# The Den challenge
CHALLENGES = "challenge.list"
CHALLENGE_NEW = "challenge.new"
CHALLENGE_OPEN = "challenge.open"
CHALLENGE_SHOW = "challenge.show"
CHALLENGE_EDIT_FORM = "challenge.editForm"
CHALLENGE_EDIT = "challenge.edit"
CHALLENGE_CLOSE = "challenge.close"
CHALLENGE_PITCH = "challenge.pitch"  # the channel's "Pitch an idea": the form goes to the 1:1 chat
DEN_POOL = "den.pool"
DEN_VIEW = "den.view"
DEN_SHORTLIST = "den.shortlist"
DEN_UNSHORTLIST = "den.unshortlist"
DEN_FINALISTS = "den.finalists"
DEN_WINNERS = "den.winners"
DEN_FUND_FORM = "den.fundForm"
DEN_FUND = "den.fund"
DEN_CONSENT = "den.consent"
DEN_PROGRESS = "den.progress"
DEN_REPORT = "den.report"

# Pitch day: the panel, the room and People's Choice
PITCH_DAY = "pd.show"  # the pitch-day card of a challenge (organisers, chair, judges, sponsors)
PANEL_FORM = "pd.panelForm"
PANEL_NAME = "pd.panelName"
SCORECARDS = "pd.scorecards"  # a judge's list of their own scorecards
SCORECARD = "pd.scorecard"  # one of them
DECLARE = "pd.declare"
SCORE = "pd.score"
CLOSE_SCORING = "pd.closeScoring"
RESULTS = "pd.results"
ROOM = "pd.room"  # the chair moves the "now pitching" card (data: step)
VOTING_OPEN = "pc.open"
VOTING_CLOSE = "pc.close"
VOTING_REPOST = "pc.repost"
VOTE = "pc.vote"
VOTE_VIEW = "pc.view"  # the People's Choice card's refresh (automatic, or the manual button)
PITCH_DAY_VERBS = frozenset(
    {PITCH_DAY, PANEL_FORM, PANEL_NAME, SCORECARDS, SCORECARD, DECLARE, SCORE, CLOSE_SCORING, RESULTS, ROOM,
     VOTING_OPEN, VOTING_CLOSE, VOTING_REPOST, VOTE, VOTE_VIEW}
)  # fmt: skip

DECISION_VERBS = {APPROVE: "approved", RETURN: "returned", REJECT: "rejected"}
