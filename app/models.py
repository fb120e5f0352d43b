"""Every capability's models, imported in one place so that metadata (and Alembic) sees them all."""

from .accounts.models import CandidateProfile, User, UserRole  # noqa: F401
from .agencies.models import Agency  # noqa: F401
from .applications.models import AccommodationRequest, Application, Document  # noqa: F401
from .audit.models import AuditAnchor, AuditEntry  # noqa: F401
from .background.models import BackgroundJob  # noqa: F401
from .booking.models import Booking, BookingPolicy, WaitlistEntry  # noqa: F401
from .centres.models import Room, SittingRoom, Venue  # noqa: F401
from .exams.calibration_models import CalibrationRun, FormSet, ItemCalibration, ItemEnemy  # noqa: F401
from .exams.models import (  # noqa: F401
    Announcement,
    Attempt,
    AttemptAnswer,
    Certificate,
    Exam,
    ExamItem,
    ItemVersion,
    Outage,
    Seat,
    ServerHeartbeat,
    Sitting,
    SittingProctor,
)
from .interviews.models import (  # noqa: F401
    ConflictDeclaration,
    CriterionScore,
    Interview,
    InterviewSlot,
    MemberSubmission,
    Panel,
    PanelMember,
    Rubric,
    RubricCriterion,
    Substitute,
    Unavailability,
)
from .merit.models import ListUseRequest, MeritEntry, MeritList, Offer  # noqa: F401
from .notifications.models import OutboxEmail  # noqa: F401
from .partners.models import (  # noqa: F401
    Agreement,
    AgreementRound,
    Nomination,
    PartnerMember,
    PartnerOrganisation,
    agreement_positions,
)
from .payments.models import Payment, RoundFee, StatementImport, StatementLine  # noqa: F401
from .recruitment.models import Position, Round, RoundStage  # noqa: F401
from .scholarships.models import PlacementRound, ScholarshipContract, ScholarshipReminder  # noqa: F401
from .scores.models import ScoreCorrection, StageScore  # noqa: F401
