"""Request and response models of the JSON API (separate Create / Update / Public models)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bantay.cases import services as limits
from bantay.detect.read_model import Side as Side  # the read model's sides, re-exported

#: the largest id a path or query accepts (SQLite integers are 64-bit)
MAX_ID = 2**62
#: a user name as the workflow accepts it
Username = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
]
Role = Literal["analyst", "supervisor", "admin"]
DecisionKind = Literal["confirmed", "false_positive", "needs_information"]


class LoginIn(BaseModel):
    username: str = Field(max_length=64, examples=["ana"])
    password: str = Field(max_length=limits.MAX_PASSWORD, examples=["a long passphrase"])


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    role: str
    active: bool


class LoginOut(BaseModel):
    user: UserPublic
    csrf_token: str = Field(description="Send as X-CSRF-Token on every state-changing request.")


class UserCreate(BaseModel):
    username: Username = Field(examples=["ana"])
    password: str = Field(min_length=limits.MIN_PASSWORD, max_length=limits.MAX_PASSWORD)
    role: Role = "analyst"


class UserUpdate(BaseModel):
    role: Role | None = None
    active: bool | None = None


class UserList(BaseModel):
    data: list[UserPublic]
    count: int


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["nightly export"])


class TokenOut(BaseModel):
    id: int
    name: str
    token: str = Field(description="Shown once; send as `Authorization: Bearer <token>`.")


class AlertRow(BaseModel):
    alert_id: str
    side: Side
    entity_id: str
    rank: int
    score: float
    summary: str
    name: str
    country: str
    institutions: str
    indicators: list[str]
    status: str
    raised_at: dt.datetime | None = Field(default=None, description="When its scan ran (UTC).")
    triage: str = Field(default="open", description="open, or closed in triage (no case)")
    assignee: str = Field(default="", description="Who the alert is assigned to ('' nobody).")
    confirmation: str = Field(
        default="",
        description="A closing that gives a training label: awaiting (a supervisor other than "
        "who closed it has yet to confirm it) or confirmed; '' otherwise.",
    )


class AlertList(BaseModel):
    data: list[AlertRow]
    count: int
    next_cursor: str | None = Field(description="Pass as `after` for the next page.")
    facets: dict[str, list[str]]


class EntityView(BaseModel):
    """Who, why, money over time and network of one entity (free-form parts as JSON objects)."""

    side: Side
    entity_id: str
    status: str
    detail: dict[str, Any]
    money: dict[str, Any]
    network: dict[str, Any]


class MemberIn(BaseModel):
    side: Side
    entity_id: str = Field(min_length=1, max_length=limits.MAX_ENTITY_ID)
    alert_id: str | None = Field(default=None, max_length=limits.MAX_ALERT_ID)


class CaseCreate(BaseModel):
    title: str = Field(
        min_length=1, max_length=limits.MAX_TITLE, examples=["Payer ring around beneficiary E42…"]
    )
    members: list[MemberIn] = Field(default=[], max_length=limits.MAX_MEMBERS)
    assignee: Username | None = None


class AssignIn(BaseModel):
    """Who works the case: ``assignee`` (one) or ``assignees`` (several) replace the current
    assignees; ``owner`` hands the case over. The reason is recorded in the audit trail."""

    assignee: Username | None = None
    assignees: list[Username] | None = Field(default=None, max_length=50)
    owner: Username | None = None
    reason: str = Field(min_length=5, max_length=limits.MAX_REASON, examples=["Ana is on leave"])


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=limits.MAX_COMMENT)


class DecisionIn(BaseModel):
    decision: DecisionKind
    rationale: str = Field(
        min_length=1,
        max_length=limits.MAX_RATIONALE,
        examples=["Pattern matches P01 and P05; 3 hops from seed"],
    )


class ReviewIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=limits.MAX_NOTE)


class MemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    side: str
    entity_id: str
    alert_id: str | None
    added_at: dt.datetime


class CommentPublic(BaseModel):
    id: int
    username: str
    body: str
    created_at: dt.datetime


class DecisionPublic(BaseModel):
    id: int
    username: str
    decision: str
    rationale: str
    created_at: dt.datetime
    subject: list[str] = Field(description="The members (side:entity_id) the decision covers.")
    current: bool = Field(description="Whether the case is still what the decision covered.")
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_approved: bool | None
    review_note: str | None
    narrative_version: int | None = Field(
        default=None, description="The narrative version the decision was made on (None: none)."
    )


class CasePublic(BaseModel):
    id: int
    title: str
    status: str
    outcome: str | None
    owner: str
    assignee: str | None = Field(description="The first assignee (see assignees).")
    assignees: list[str]
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    n_members: int


class NarrativePublic(BaseModel):
    version: int
    body: str
    sha256: str
    username: str
    created_at: dt.datetime


class NarrativeIn(BaseModel):
    body: str = Field(min_length=20, max_length=limits.MAX_NARRATIVE)


class NarrativeView(BaseModel):
    current: NarrativePublic | None
    versions: list[NarrativePublic]
    draft: str = Field(description="The text generated from the evidence (the editor's start).")


class CaseDetail(CasePublic):
    members: list[MemberPublic]
    comments: list[CommentPublic]
    decisions: list[DecisionPublic]
    narrative: NarrativePublic | None = Field(
        default=None, description="The current narrative (every export uses it), if written."
    )


class CaseList(BaseModel):
    data: list[CasePublic]
    count: int


class AuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    username: str
    action: str
    object_type: str
    object_id: str
    detail: str
    hash: str


class AuditList(BaseModel):
    data: list[AuditPublic]
    count: int


class FindingOut(BaseModel):
    kind: str = Field(description="altered, deleted, inserted, truncated, re-hashed, checkpoint")
    entry_id: int | None
    message: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_id: int | None
    problem: str
    findings: list[FindingOut] = []
    checkpoints: int = 0


AlertIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=limits.MAX_ALERT_ID)]],
    Field(min_length=1, max_length=500),
]


class TriageAssignIn(BaseModel):
    alert_ids: AlertIds
    assignee: Username | None = Field(default=None, description="None: unassign.")


class TriageCloseIn(BaseModel):
    alert_ids: AlertIds
    reason_code: str = Field(max_length=40, examples=["explained_family"])
    note: str = Field(default="", max_length=limits.MAX_NOTE)


class TriageConfirmIn(BaseModel):
    alert_ids: AlertIds
    note: str = Field(default="", max_length=limits.MAX_NOTE)


class TriageReopenIn(BaseModel):
    note: str = Field(min_length=5, max_length=limits.MAX_NOTE)


class TriageDone(BaseModel):
    alert_ids: list[str]
