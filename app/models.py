"""Every capability's models, imported in one place so that metadata (and Alembic) sees them all."""
from .accounts.models import CandidateProfile, User, UserRole  # noqa: F401
from .agencies.models import Agency  # noqa: F401
from .applications.models import AccommodationRequest, Application, Document  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .recruitment.models import Position, Round, RoundStage  # noqa: F401
from .exams.models import (Announcement, Attempt, AttemptAnswer, Certificate, Exam, ExamItem,  # noqa: F401
                           ItemVersion, Seat, Sitting)
