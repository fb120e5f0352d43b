"""Demo data: the agencies of the BMA sandbox, one open round of every mode, one user per role."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from ..accounts.models import CandidateProfile, EducationLevel, EmploymentType, Role, User, UserRole
from ..accounts.services import hash_password
from ..agencies.models import Agency, AgencyKind
from ..audit.services import record
from ..common import national_id as nid
from ..common.clock import BANGKOK, now
from ..exams.models import Exam, ExamItem
from ..extensions import db
from ..partners.agreements import AgreementInput, create_agreement
from ..partners.nominations import NomineeInput, nominate
from ..partners.organisations import create_organisation, link_partner_account
from ..partners.rounds import open_round
from ..recruitment.models import Accommodation, Mode, Position, Round, RoundStage, RoundStatus
from ..recruitment.services import ChannelRound, apply_mode_rules, change_status, default_stages, snapshot
from ..scholarships import services as scholarships

DEMO_PASSWORD = "demo-pass-2569"

AGENCIES = [
    (
        "CSC",
        "สำนักงานคณะกรรมการข้าราชการกรุงเทพมหานคร",
        "Office of the BMA Civil Service Commission",
        AgencyKind.OFFICE,
    ),
    ("BKN", "สำนักงานเขตบางเขน", "Bang Khen District Office", AgencyKind.DISTRICT),
    ("KTY", "สำนักงานเขตคลองเตย", "Khlong Toei District Office", AgencyKind.DISTRICT),
    ("PCR", "สำนักงานเขตภาษีเจริญ", "Phasi Charoen District Office", AgencyKind.DISTRICT),
    ("TLC", "สำนักงานเขตตลิ่งชัน", "Taling Chan District Office", AgencyKind.DISTRICT),
    ("MSD", "สำนักการแพทย์", "Medical Service Department", AgencyKind.DEPARTMENT),
]

# (email, Thai first/last, English first/last, roles, agency code, 12 digits of the national ID)
USERS = [
    ("admin@demo.bma.go.th", "ผู้ดูแล", "ระบบ", "System", "Administrator", [Role.ADMIN], None, None),
    ("hr.csc@demo.bma.go.th", "สมศรี", "ใจดี", "Somsri", "Jaidee", [Role.HR_OFFICER], "CSC", None),
    ("approver.csc@demo.bma.go.th", "ประเสริฐ", "มั่นคง", "Prasert", "Mankong", [Role.HR_APPROVER], "CSC", None),
    ("hr.bkn@demo.bma.go.th", "วิไล", "รักงาน", "Wilai", "Rakngan", [Role.HR_OFFICER], "BKN", None),
    ("hr.msd@demo.bma.go.th", "ธนา", "สุขใจ", "Thana", "Sukjai", [Role.HR_OFFICER], "MSD", None),
    ("panel@demo.bma.go.th", "กมล", "ยุติธรรม", "Kamol", "Yuttitham", [Role.PANEL], "CSC", None),
    ("proctor@demo.bma.go.th", "อรุณ", "เฝ้าระวัง", "Arun", "Faorawang", [Role.PROCTOR], "CSC", None),
    # Keeps the shared exam item bank (the bank page: import, preview, retire).
    ("bank@demo.bma.go.th", "ปัญญา", "คลังความรู้", "Panya", "Khlangkhwamru", [Role.BANK_MANAGER], None, None),
    (
        "candidate@demo.bma.go.th",
        "สมชาย",
        "เรียนดี",
        "Somchai",
        "Riandee",
        [Role.CANDIDATE],
        None,
        "110170012345",
    ),
    (
        "employee@demo.bma.go.th",
        "มานี",
        "ขยันยิ่ง",
        "Manee",
        "Khayanying",
        [Role.CANDIDATE],
        None,
        "310050067890",
    ),
    ("disabled@demo.bma.go.th", "ปิติ", "มีสุข", "Piti", "Meesuk", [Role.CANDIDATE], None, "150990011223"),
    # The MOU and scholarship channels (_load_channels).
    ("partner@demo.bma.go.th", "ศิริ", "ประสานงาน", "Siri", "Prasanngan", [Role.PARTNER], None, None),
    ("nominee@demo.bma.go.th", "ณัฐ", "แพทย์ดี", "Nat", "Phaetdee", [Role.CANDIDATE], None, "110370045678"),
    (
        "scholar@demo.bma.go.th",
        "กานดา",
        "พยาบาลใจ",
        "Kanda",
        "Phayabanjai",
        [Role.CANDIDATE],
        None,
        "110470056789",
    ),
]


def is_empty() -> bool:
    return db.session.scalar(select(Agency.id).limit(1)) is None


def load() -> list[tuple[str, str]]:
    """Seed an empty database; returns the demo accounts (email, roles)."""
    agencies = {}
    for code, th, en, kind in AGENCIES:
        agencies[code] = Agency(code=code, name_th=th, name_en=en, kind=kind)
        db.session.add(agencies[code])
    db.session.flush()

    accounts = []
    for email, fth, lth, fen, len_, roles, agency, nid12 in USERS:
        user = User(
            email=email,
            password_hash=hash_password(DEMO_PASSWORD),
            first_name_th=fth,
            last_name_th=lth,
            first_name_en=fen,
            last_name_en=len_,
            agency_id=agencies[agency].id if agency else None,
            national_id=nid.complete(nid12) if nid12 else None,
            email_verified_at=now(),
        )  # demo accounts log in without the email step
        user.roles = [UserRole(role=r) for r in roles]
        if Role.CANDIDATE in roles:
            user.phone = "0812345678"
            user.birth_date = date(1996, 5, 14)
            user.profile = CandidateProfile(
                education_level=EducationLevel.BACHELOR,
                degree_name="วิศวกรรมศาสตรบัณฑิต",
                field_of_study="วิศวกรรมโยธา",
                institution="จุฬาลงกรณ์มหาวิทยาลัย",
                gpa=Decimal("3.21"),
                graduation_date=date(2018, 5, 30),
            )
        db.session.add(user)
        accounts.append((email, ", ".join(roles)))
    db.session.flush()
    users = {u.email: u for u in db.session.scalars(select(User))}
    employee = users["employee@demo.bma.go.th"]
    employee.birth_date = date(1985, 2, 1)
    employee.profile.employment_type = EmploymentType.BMA_PERMANENT
    employee.profile.bma_service_start = date(2015, 6, 1)
    employee.profile.education_level = EducationLevel.HIGH_VOCATIONAL
    employee.profile.degree_name = "ประกาศนียบัตรวิชาชีพชั้นสูง"
    employee.profile.field_of_study = "ช่างก่อสร้าง"
    disabled = users["disabled@demo.bma.go.th"]
    disabled.profile.disability_card_no = "1-1099-00112-23-1"
    disabled.profile.disability_type = "การเห็น (visual)"
    disabled.profile.field_of_study = "บริหารธุรกิจ"
    disabled.profile.degree_name = "บริหารธุรกิจบัณฑิต"

    hr = {u.agency.code: u for u in users.values() if u.has_role(Role.HR_OFFICER)}
    positions = {
        "civil_eng": Position(
            agency_id=agencies["CSC"].id,
            title_th="นายช่างโยธา",
            title_en="Civil Works Technician",
            level="ปฏิบัติงาน / Practitioner",
            qualifications_th="ปวส. หรือเทียบเท่า สาขาช่างก่อสร้าง ช่างโยธา",
            qualifications_en="High vocational certificate in construction",
        ),
        "engineer": Position(
            agency_id=agencies["CSC"].id,
            title_th="วิศวกรโยธา",
            title_en="Civil Engineer",
            level="ปฏิบัติการ / Operational",
            qualifications_th="ปริญญาตรีทางวิศวกรรมโยธา และใบอนุญาต กว.",
            qualifications_en="Bachelor in civil engineering with a licence",
        ),
        "admin_off": Position(
            agency_id=agencies["BKN"].id,
            title_th="นักจัดการงานทั่วไป",
            title_en="General Administration Officer",
            level="ปฏิบัติการ / Operational",
            qualifications_th="ปริญญาตรีทุกสาขา",
            qualifications_en="A bachelor's degree in any field",
        ),
        "doctor": Position(
            agency_id=agencies["MSD"].id,
            title_th="นายแพทย์",
            title_en="Medical Doctor",
            level="ปฏิบัติการ / Operational",
            qualifications_th="แพทยศาสตรบัณฑิต และใบอนุญาตประกอบวิชาชีพเวชกรรม",
            qualifications_en="Doctor of Medicine with a medical licence",
        ),
        "clerk": Position(
            agency_id=agencies["MSD"].id,
            title_th="เจ้าพนักงานธุรการ",
            title_en="Administrative Clerk",
            level="ปฏิบัติงาน / Practitioner",
            qualifications_th="ปวส. หรือเทียบเท่าทุกสาขา",
            qualifications_en="High vocational certificate, any field",
        ),
    }
    db.session.add_all(positions.values())
    db.session.flush()

    start, end = now() - timedelta(days=3), now() + timedelta(days=27)
    rounds = [
        dict(
            code="CSC-2569-01",
            agency="CSC",
            position="engineer",
            mode=Mode.COMPETITIVE_EXAM,
            title_th="สอบแข่งขันเพื่อบรรจุและแต่งตั้งเป็นข้าราชการกรุงเทพมหานครสามัญ ตำแหน่งวิศวกรโยธา",
            title_en="Competitive exam: Civil Engineer",
            vacancies=12,
            min_education_level=EducationLevel.BACHELOR,
            fields_of_study=["วิศวกรรมโยธา"],
            min_age=18,
            max_age=60,
            accommodations_offered=[Accommodation.EXTRA_TIME, Accommodation.LARGE_TEXT],
        ),
        dict(
            code="CSC-2569-02",
            agency="CSC",
            position="civil_eng",
            mode=Mode.SELECTION_EXAM,
            title_th="สอบคัดเลือกลูกจ้างกรุงเทพมหานครเพื่อบรรจุเป็นข้าราชการ ตำแหน่งนายช่างโยธา",
            title_en="Internal selection exam: Civil Works Technician",
            min_education_level=EducationLevel.HIGH_VOCATIONAL,
            eligible_headcount=250,
            quota_percent=Decimal("4"),
        ),
        dict(
            code="BKN-2569-01",
            agency="BKN",
            position="admin_off",
            mode=Mode.SELECTION,
            title_th="คัดเลือกบุคคลเพื่อบรรจุ ตำแหน่งนักจัดการงานทั่วไป สำนักงานเขตบางเขน",
            title_en="Selection: General Administration Officer, Bang Khen",
            vacancies=2,
            min_education_level=EducationLevel.BACHELOR,
            min_gpa=Decimal("2.50"),
        ),
        dict(
            code="MSD-2569-01",
            agency="MSD",
            position="doctor",
            mode=Mode.SHORTAGE,
            title_th="คัดเลือกบุคคลในวุฒิที่ขาดแคลน ตำแหน่งนายแพทย์",
            title_en="Shortage-qualification selection: Medical Doctor",
            vacancies=20,
            min_education_level=EducationLevel.BACHELOR,
            shortage_degrees=["แพทยศาสตรบัณฑิต", "Doctor of Medicine"],
        ),
        dict(
            code="MSD-2569-02",
            agency="MSD",
            position="clerk",
            mode=Mode.DISABILITY,
            title_th="คัดเลือกคนพิการเพื่อบรรจุ ตำแหน่งเจ้าพนักงานธุรการ",
            title_en="Selection of persons with disabilities: Administrative Clerk",
            vacancies=3,
            min_education_level=EducationLevel.HIGH_VOCATIONAL,
        ),
    ]
    for spec in rounds:
        agency, position = spec.pop("agency"), spec.pop("position")
        values = dict(spec, opens_at=start, closes_at=end, position_id=positions[position].id)
        apply_mode_rules(values)
        round_ = Round(
            agency_id=agencies[agency].id, status=RoundStatus.OPEN, created_by_id=hr[agency].id, **values
        )
        for seq, stage in enumerate(default_stages(values["mode"]), start=1):
            # Each stage's results announced by a date, as a real announcement says (next steps).
            announced = (end + timedelta(days=21 * seq)).astimezone(BANGKOK).date()
            round_.stages.append(RoundStage(seq=seq, results_announced_on=announced, **stage.__dict__))
        db.session.add(round_)
        db.session.flush()
        record("round.create", round_, actor=hr[agency], after=snapshot(round_) | {"demo": True})
    db.session.commit()
    _load_exam(users, agencies["CSC"], hr["CSC"])
    _load_channels(users, hr["MSD"], positions["doctor"])
    return accounts


def _load_channels(users: dict, hr: User, doctor: Position) -> None:
    """One partner university with an agreement, a round under it and a nomination awaiting the
    nominee's answer; one scholar whose graduation is six weeks away."""
    org = create_organisation(
        hr, name_th="มหาวิทยาลัยนวมินทราธิราช", name_en="Navamindradhiraj University", kind="university"
    )
    today = now().date()
    agreement = create_agreement(
        hr,
        AgreementInput(
            number="กท 0602/MOU-2569-01",
            organisation_id=org.id,
            title_th="ความร่วมมือผลิตแพทย์เพื่อโรงพยาบาลสังกัดกรุงเทพมหานคร",
            title_en="Doctors for the BMA's hospitals",
            position_ids=[doctor.id],
            places_per_year=5,
            valid_from=today - timedelta(days=60),
            valid_until=today + timedelta(days=3 * 365),
            qualifications_th="แพทยศาสตรบัณฑิต และใบอนุญาตประกอบวิชาชีพเวชกรรม",
            qualifications_en="Doctor of Medicine with a medical licence",
            min_education_level=EducationLevel.BACHELOR,
        ),
    )
    link_partner_account(org, "partner@demo.bma.go.th", hr)
    round_ = open_round(
        agreement,
        hr,
        ChannelRound(
            code="MSD-MOU-2569-01",
            position_id=doctor.id,
            title_th="คัดเลือกแพทย์ตามบันทึกข้อตกลงกับมหาวิทยาลัยนวมินทราธิราช",
            title_en="MOU selection: doctors from Navamindradhiraj University",
            opens_at=now() - timedelta(days=1),
            closes_at=now() + timedelta(days=20),
            vacancies=3,
        ),
    )
    change_status(round_, hr, RoundStatus.OPEN, "demo")
    nominee = users["nominee@demo.bma.go.th"]
    nominate(
        round_,
        users["partner@demo.bma.go.th"],
        NomineeInput(
            national_id=nominee.national_id,
            email=nominee.email,
            first_name_th="ณัฐ",
            last_name_th="แพทย์ดี",
            first_name_en="Nat",
            last_name_en="Phaetdee",
            statement="บัณฑิตแพทย์ผลการเรียนดีเด่น",
        ),
        invitation_link=lambda token: f"/nominations/invitation/{token}",
    )
    scholar = users["scholar@demo.bma.go.th"]
    scholarships.record_contract(
        hr,
        scholarships.ContractInput(
            number="สพ 01/2566",
            national_id=scholar.national_id,
            email=scholar.email,
            first_name_th="กานดา",
            last_name_th="พยาบาลใจ",
            first_name_en="Kanda",
            last_name_en="Phayabanjai",
            field_of_study="พยาบาลศาสตร์",
            degree="พยาบาลศาสตรบัณฑิต",
            institution="คณะพยาบาลศาสตร์เกื้อการุณย์",
            study_start=today - timedelta(days=4 * 365 - 42),
            expected_graduation=today + timedelta(days=42),
            years_funded=Decimal(4),
        ),
    )


DEMO_BANK = Path(__file__).resolve().parents[2] / "exam_bank" / "part_a"


def _load_exam(users: dict, agency: Agency, hr: User) -> None:
    """The demo Part A bank and two sittings: one open for a window of 30 days (take it at any
    time), one synchronized that the proctor starts (check-in is open from the start)."""
    from ..exams import sitting_control
    from ..exams import sittings as exam_sittings
    from ..exams.bank_files import load_path
    from ..exams.bank_import import import_bank

    import_bank(load_path(DEMO_BANK), actor=hr, source="demo")
    exam = db.session.scalar(select(Exam).where(Exam.code == "part-a-demo"))
    window = sitting_control.create_sitting(
        hr,
        exam=exam,
        agency_id=agency.id,
        timing_mode="window",
        title_th="สอบภาค ก ออนไลน์ (ฉบับทดลอง) — สอบได้ตลอดช่วงเวลา",
        title_en="Online Part A test (demo), take it any time in the window",
        starts_at=now() - timedelta(hours=1),
        window_ends_at=now() + timedelta(days=30),
    )
    synced = sitting_control.create_sitting(
        hr,
        exam=exam,
        agency_id=agency.id,
        timing_mode="synchronized",
        title_th="สอบภาค ก ออนไลน์ (ฉบับทดลอง) — เริ่มพร้อมกันเมื่อกรรมการคุมสอบกดเริ่ม",
        title_en="Online Part A test (demo), starts when the proctor starts it",
        starts_at=now() + timedelta(minutes=30),
        late_entry_minutes=24 * 60,
        checkin_opens_minutes=24 * 60,
    )
    seats = [
        ("candidate@demo.bma.go.th", 0, False),
        ("employee@demo.bma.go.th", 0, False),
        ("disabled@demo.bma.go.th", 25, True),
    ]
    for sitting, room in ((window, "ONLINE-1"), (synced, "ONLINE-2")):
        for number, (email, extra, large) in enumerate(seats, start=1):
            sitting_control.add_seat(
                sitting,
                users[email],
                room=room,
                seat_number=f"{number:03d}",
                extra_time_percent=extra,
                large_text=large,
                actor=hr,
            )
        # Proctors act only on the sittings HR assigned them to.
        exam_sittings.assign_proctor(sitting, hr, users["proctor@demo.bma.go.th"])


DEMO_EXAM = "part-a-demo"


def simulate_exam_history(candidates: int, seed: int) -> int:
    """A simulated past sitting of the demo Part A exam (fictitious candidates who cannot log
    in, answering as item parameters drawn around the authors' bands say), so that HR can
    calibrate the demo bank and assemble parallel forms (docs/psychometrics.md). Returns the
    number of submitted attempts added."""
    from ..exams import simulation

    exam = db.session.scalar(select(Exam).where(Exam.code == DEMO_EXAM))
    agency = db.session.scalar(select(Agency).where(Agency.code == "CSC"))
    if exam is None or agency is None:
        raise ValueError("load the demo first (flask demo load)")
    items = list(
        db.session.scalars(select(ExamItem).where(ExamItem.bank == exam.bank, ExamItem.active.is_(True)))
    )
    truth = simulation.band_truth(items, seed)
    attempts = simulation.simulate_past_sitting(exam, truth, candidates, seed, agency.id)
    record(
        "demo.simulate_exam_history",
        actor=None,
        object_type="exam",
        object_id=exam.id,
        after={"candidates": candidates, "seed": seed, "attempts": len(attempts)},
    )
    db.session.commit()
    return len(attempts)
