"""The demo's words: names, schools, priorities, objectives and what people write about them.

Pure data. Objective templates carry ``{placeholders}`` filled from the person's context
(``subject``, ``cls``, ``area``, ``ks``, ``pupils``, ``pct``, ``pct2``, ``n``).
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES = (
    "Amelia", "Olivia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily", "Freya", "Chloe",
    "Jessica", "Ella", "Charlotte", "Hannah", "Lucy", "Megan", "Holly", "Ellie", "Rebecca",
    "Sarah", "Laura", "Emma", "Rachel", "Katie", "Gemma", "Claire", "Helen", "Joanne", "Nicola",
    "Victoria", "Catherine", "Elizabeth", "Joanna", "Priya", "Aisha", "Fatima", "Zainab",
    "Maryam", "Amira", "Noor", "Anjali", "Simran", "Harpreet", "Mei", "Chioma", "Ngozi",
    "Adaeze", "Abena", "Kemi", "Siobhan", "Niamh", "Aoife", "Ciara", "Bethan", "Cerys",
    "Rhiannon", "Agnieszka", "Katarzyna", "Ana", "Sofia", "Oliver", "George", "Harry", "Jack",
    "Jacob", "Charlie", "Thomas", "Oscar", "William", "James", "Daniel", "Matthew", "Samuel",
    "Joseph", "Benjamin", "Luke", "Adam", "Ryan", "Nathan", "Liam", "Michael", "David",
    "Andrew", "Richard", "Mark", "Paul", "Stephen", "Christopher", "Jonathan", "Peter", "Simon",
    "Gareth", "Rhys", "Owen", "Dylan", "Callum", "Ewan", "Conor", "Declan", "Sean", "Mohammed",
    "Ahmed", "Omar", "Yusuf", "Ibrahim", "Hassan", "Imran", "Arjun", "Rohan", "Sanjay",
    "Vikram", "Raj", "Kwame", "Kofi", "Tunde", "Chidi", "Emeka", "Marek", "Tomasz", "Piotr",
    "Luca", "Marco", "Wei", "Jun", "Hamza", "Bilal", "Zain",
)  # fmt: skip

SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Lewis", "Harris", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison",
    "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
    "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Ali", "Ahmed",
    "Hussain", "Begum", "Shah", "Akhtar", "Iqbal", "Rahman", "Chowdhury", "Singh", "Kaur",
    "Sharma", "Gill", "Sandhu", "Chauhan", "Mistry", "Okafor", "Adeyemi", "Mensah", "Owusu",
    "Asante", "Okoro", "Nwosu", "Campbell", "Stewart", "Murray", "MacDonald", "Fraser", "Reid",
    "O'Brien", "O'Connor", "Byrne", "Walsh", "Doyle", "Kennedy", "Quinn", "Nowak", "Kowalska",
    "Lewandowski", "Rossi", "Costa", "Silva", "Santos", "Chen", "Wang", "Li", "Zhang",
    "Nguyen", "Tran", "Hassan", "Yilmaz", "Demir", "Papadopoulos", "Fletcher", "Barker",
    "Gibson", "Ellis", "Marshall", "Dixon", "Hunt", "Holmes", "Palmer", "Mills", "Lloyd",
    "Webb", "Simpson", "Stevens", "Payne", "Chapman", "Ross", "Graham", "Pearson", "Knight",
    "Butler", "Russell", "Barnes", "Fisher", "Hamilton", "Foster", "Rose", "Grant", "Ford",
    "Hayes", "Howard", "Jenkins", "Lawrence", "Owen", "Rees", "Powell", "Pritchard", "Bevan",
    "Thomas", "Vaughan", "Hughes-Jones", "Ashworth", "Sutcliffe", "Whitehead", "Brennan",
)  # fmt: skip

PLACES = (
    "Ashfield", "Beechwood", "Brookfield", "Castlebrook", "Cherry Tree", "Coppice", "Elmhurst",
    "Fairfield", "Greenacres", "Hawthorn", "Highfield", "Hillside", "Hollybrook", "Kingsmead",
    "Lakeside", "Larkrise", "Longmeadow", "Maple Grove", "Meadowside", "Millbrook", "Moorfield",
    "Northgate", "Oakfield", "Orchard Vale", "Parkside", "Priory", "Queensbridge", "Ravenswood",
    "Redhill", "Riverside", "Rosewood", "Sandhill", "Sherwood", "Southfields", "Springfield",
    "Stonebridge", "Thornhill", "Waterside", "Westbury", "Whitecross", "Willowbank",
    "Windmill Hill", "Woodlands", "Abbey Park", "Bishopsgate", "Broadoak", "Brookside", "Cedar",
    "Churchill", "Coleridge", "Cranbrook", "Deanery", "Fernhill", "Foxwood", "Grange Park",
    "Greenfield", "Harbourside", "Heathfield", "Holly Lodge", "Kestrel", "Kingfisher", "Langley",
    "Leyfield", "Linden", "Lyndhurst", "Marlborough", "Mayfield", "Newbold", "Oakridge",
    "Pinewood", "Rowan", "Ryecroft", "Severn Vale", "Silverdale", "Stanford", "Tamar View",
    "Thistle Hill", "Trent Vale", "Wharfedale", "Whitmore", "Wildmoor", "Wolds", "Wyvern",
    "Ashby", "Bramley", "Castleton", "Denby", "Elmore", "Hadley", "Kirkby", "Melbourne",
    "Norton", "Ripley", "Stanton", "Swanwick", "Thurston", "Walton", "Wrenbury", "Alderley",
    "Beaumont", "Carlton", "Dunmore", "Eastbrook", "Fulwood", "Glenfield", "Hartwell",
    "Ingleby", "Kelsall", "Lockwood", "Marston", "Netherfield", "Overton", "Pemberton",
    "Rushden", "Sefton", "Tideswell", "Upton", "Wembury",
)  # fmt: skip

SAINTS = (
    "St Mary's", "St John's", "St Peter's", "St Paul's", "St Michael's", "St Andrew's",
    "St George's", "St Anne's", "St Joseph's", "St Bede's", "St Chad's", "St Aidan's",
    "Holy Trinity", "Christ Church", "All Saints", "St Oswald's", "St Hilda's", "St Luke's",
)  # fmt: skip

TRUST_WORDS = (
    "Unity", "Horizons", "Endeavour", "Aspire", "Pioneer", "Evolve", "Compass", "Keystone",
    "Lighthouse", "Bridges", "Anthem", "Discovery",
)  # fmt: skip

PRIMARY_SCHOOL_NAMES = (
    "{place} Primary School", "{place} Primary Academy", "{place} Community Primary School",
    "{place} Infant and Nursery School", "{place} Junior School", "{saint} CofE Primary School",
    "{saint} Catholic Primary School", "{place} Church of England Primary Academy",
)  # fmt: skip
SECONDARY_SCHOOL_NAMES = (
    "{place} Academy", "{place} High School", "{place} School", "{place} College",
    "{place} Community School", "{saint} Catholic High School",
)  # fmt: skip
SPECIAL_SCHOOL_NAMES = (
    "{place} Special School",
    "{place} Park School",
    "{place} Specialist Academy",
)
ALL_THROUGH_SCHOOL_NAMES = ("{place} All-Through Academy", "{place} Academy (3-18)")

SECONDARY_SUBJECTS = (
    "English", "Mathematics", "Science", "History", "Geography", "French", "Spanish",
    "Art and Design", "Music", "Physical Education", "Computing", "Design and Technology",
    "Religious Education", "Drama", "Business Studies", "Psychology",
)  # fmt: skip
PRIMARY_CLASSES = (
    "Reception", "Year 1", "Year 2", "Year 3", "Year 4", "Year 5", "Year 6",
)  # fmt: skip
PRIMARY_PHASE_LEADS = (
    "EYFS Leader", "KS1 Phase Leader", "Lower KS2 Phase Leader", "Upper KS2 Phase Leader",
    "English Lead", "Mathematics Lead", "Science Lead", "Curriculum Lead",
)  # fmt: skip
SPECIAL_LEADS = ("Pathway Leader (Semi-formal)", "Pathway Leader (Formal)", "Class Team Leader")

# Support roles by line-management family: (job title, family).
SUPPORT_ROLES_PRIMARY = (
    ("Teaching Assistant", "classroom"), ("Teaching Assistant", "classroom"),
    ("Teaching Assistant", "classroom"), ("Higher Level Teaching Assistant", "classroom"),
    ("Learning Support Assistant", "classroom"), ("Office Administrator", "office"),
    ("Site Manager", "site"), ("Family Support Worker", "pastoral"),
)  # fmt: skip
SUPPORT_ROLES_SECONDARY = (
    ("Teaching Assistant", "classroom"), ("Learning Support Assistant", "classroom"),
    ("Cover Supervisor", "classroom"), ("Exams Officer", "office"),
    ("Attendance Officer", "office"), ("Data Manager", "office"), ("Receptionist", "office"),
    ("Finance Officer", "office"), ("Site Manager", "site"), ("Premises Officer", "site"),
    ("Pastoral Manager", "pastoral"), ("Learning Mentor", "pastoral"),
    ("Science Technician", "technical"), ("IT Technician", "technical"),
    ("Librarian", "technical"),
)  # fmt: skip
SUPPORT_ROLES_SPECIAL = (
    ("Teaching Assistant", "classroom"), ("Teaching Assistant", "classroom"),
    ("Higher Level Teaching Assistant", "classroom"), ("Learning Support Assistant", "classroom"),
    ("Therapy Assistant", "classroom"), ("Office Administrator", "office"),
    ("Site Manager", "site"), ("Family Support Worker", "pastoral"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PriorityText:
    theme: str
    title: str
    description: str


TRUST_PRIORITIES = (
    PriorityText(
        "reading",
        "Every child a reader",
        "Raise reading fluency and comprehension in every phase, with one consistent approach "
        "to early reading and systematic synthetic phonics.",
    ),
    PriorityText(
        "send",
        "Inclusive classrooms for pupils with SEND",
        "Adaptive teaching and well-deployed support so that pupils with SEND achieve as well "
        "as their peers.",
    ),
    PriorityText(
        "attendance",
        "Attendance and belonging",
        "Reduce persistent absence, particularly of disadvantaged pupils, through early help "
        "and strong relationships with families.",
    ),
    PriorityText(
        "cpd",
        "Great teaching through instructional coaching",
        "Every teacher receives regular, focused coaching linked to the trust's teaching "
        "and learning framework.",
    ),
)
# Added for the second cycle, when the attendance priority is retired.
TRUST_PRIORITY_NEXT = PriorityText(
    "curriculum",
    "A broad curriculum: oracy and the foundation subjects",
    "Develop pupils' spoken language and strengthen curriculum sequencing in the foundation "
    "subjects across the trust.",
)
RETIRE_REASON = (
    "Persistent absence is now below the national average in every school; attendance "
    "continues as a school-level priority where needed."
)

SCHOOL_PRIORITIES = {
    "Primary": (
        PriorityText(
            "maths",
            "Improve outcomes in KS2 mathematics",
            "Fluency in number facts and reasoning.",
        ),
        PriorityText(
            "reading",
            "Strengthen early reading and phonics in EYFS and KS1",
            "Phonics screening check above 85%.",
        ),
        PriorityText(
            "curriculum",
            "Develop writing across the curriculum",
            "Extended writing in every subject.",
        ),
        PriorityText(
            "behaviour",
            "Calm and purposeful lunchtimes and transitions",
            "Fewer incidents at unstructured times.",
        ),
        PriorityText(
            "assessment",
            "Close the gap for disadvantaged pupils",
            "Targeted tutoring and precise assessment.",
        ),
    ),
    "Secondary": (
        PriorityText(
            "assessment",
            "Improve progress at Key Stage 4 in science and languages",
            "Higher Progress 8 in the EBacc subjects.",
        ),
        PriorityText(
            "attendance",
            "Raise attendance in Years 9 to 11",
            "Persistent absence below 15% in every year group.",
        ),
        PriorityText(
            "behaviour",
            "Consistent behaviour routines in every classroom",
            "Fewer suspensions and removals from lessons.",
        ),
        PriorityText(
            "reading",
            "Disciplinary literacy across the curriculum",
            "Explicit vocabulary and reading in every subject.",
        ),
        PriorityText(
            "curriculum",
            "Strengthen the Key Stage 3 curriculum",
            "Ambitious, well-sequenced KS3 schemes of work.",
        ),
    ),
    "Special": (
        PriorityText(
            "send",
            "Communication for every learner",
            "Total communication approaches used consistently.",
        ),
        PriorityText(
            "curriculum",
            "Preparation for adulthood pathways",
            "Independence, employability and community skills.",
        ),
        PriorityText(
            "behaviour",
            "Reduce restrictive physical interventions",
            "Positive behaviour support plans for every learner.",
        ),
    ),
    "All-through": (
        PriorityText(
            "curriculum",
            "One curriculum from 3 to 18",
            "Coherent sequencing across the phases.",
        ),
        PriorityText(
            "attendance",
            "Attendance at transition points",
            "Attendance in Years 6 and 7 at 95% or above.",
        ),
        PriorityText(
            "reading",
            "Reading across the all-through school",
            "Reading ages at or above chronological age.",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Template:
    """An objective as a template: rendered per person with their context and numbers."""

    theme: str
    title: str
    description: str
    criteria: tuple[str, ...]
    standards: tuple[str, ...] = ()


T = Template

TEACHER_OBJECTIVES = (
    T("reading", "Improve reading fluency in {cls}",
      "Daily fluency practice and half-termly running records so that {pupils} read "
      "age-appropriate texts accurately and with expression.",
      ("At least {pct}% of {pupils} in {cls} reach the expected fluency benchmark by the "
       "summer assessment",
       "Running records completed for every pupil each half term",
       "The lowest 20% of readers read to an adult at least three times a week"),
      ("TS1", "TS3", "TS5")),
    T("maths", "Raise attainment in {subject} for {cls}",
      "Use retrieval practice and precise questioning to secure core knowledge in {subject}.",
      ("{pct}% of {pupils} in {cls} working at or above the expected standard in the summer "
       "assessment",
       "Weekly low-stakes quizzes show improving recall across each unit",
       "Gaps identified in the autumn assessment addressed through re-teaching by February"),
      ("TS2", "TS4", "TS6")),
    T("curriculum", "Develop the {subject} curriculum sequence for {cls}",
      "Review and resequence the {subject} units so that knowledge builds coherently.",
      ("Revised medium-term plans for {subject} shared with the team by the spring half term",
       "Knowledge organisers produced for each unit",
       "Pupil voice shows {pupils} can explain how units connect"),
      ("TS3", "TS4")),
    T("assessment", "Use formative assessment to close gaps in {subject}",
      "Embed hinge questions and exit tickets so that misconceptions are addressed within "
      "the lesson.",
      ("Hinge questions planned into at least {n} lessons a fortnight",
       "Book looks show feedback acted on by {pupils}",
       "Gap between disadvantaged and other {pupils} in {cls} narrows by {pct2} percentage "
       "points"),
      ("TS6", "TS2")),
    T("send", "Adapt teaching so that {pupils} with SEND in {cls} make strong progress",
      "Use the trust's adaptive teaching strategies and work closely with the SENCo and "
      "support staff.",
      ("Every pupil with SEND has a one-page profile used in planning",
       "{pupils} with SEND make progress in line with their peers in {subject}",
       "Teaching assistant deployment reviewed with the SENCo each term"),
      ("TS5", "TS2")),
    T("behaviour", "Establish consistent routines for learning in {cls}",
      "Apply the school's behaviour curriculum consistently, with clear routines at the "
      "start and end of lessons.",
      ("Learning walks show routines established in every observed lesson",
       "Behaviour incidents logged for {cls} fall by {pct2}% compared with the autumn term",
       "Positive recognition used consistently, as seen in the rewards log"),
      ("TS7", "TS1")),
    T("attendance", "Close the attainment gap for disadvantaged {pupils} in {cls}",
      "Prioritise disadvantaged {pupils} for questioning, feedback and intervention.",
      ("Disadvantaged {pupils} in {cls} attain within {pct2} points of their peers",
       "Attendance of disadvantaged {pupils} in {cls} at or above {pct}%",
       "Termly pupil progress meetings identify and act on barriers"),
      ("TS2", "TS1")),
    T("cpd", "Develop classroom practice through instructional coaching",
      "Take part in fortnightly coaching cycles focused on one action step at a time.",
      ("At least {n} coaching cycles completed, with action steps recorded",
       "Observed improvement in the focus technique by the summer term",
       "Shares one successful strategy at a department or phase meeting"),
      ("TS8", "TS4")),
    T("reading", "Embed disciplinary reading in {subject} lessons",
      "Use challenging subject texts and explicit vocabulary teaching in every unit.",
      ("A subject-specific text read in every unit of work",
       "Tier 3 vocabulary taught explicitly and assessed",
       "{pct}% of {pupils} in {cls} can summarise a subject text accurately"),
      ("TS3", "TS4")),
    T("curriculum", "Develop oracy through structured talk in {subject}",
      "Use talk tasks and sentence stems so that {pupils} explain their thinking in full.",
      ("Structured talk routines used weekly in {cls}",
       "{pupils} use subject vocabulary in spoken answers, as seen in learning walks",
       "One oracy assessment task completed per term"),
      ("TS3", "TS4")),
    T("assessment", "Improve the quality of feedback in {subject} books",
      "Use whole-class feedback and timely corrections in line with the trust's feedback "
      "policy.",
      ("Whole-class feedback used at least fortnightly",
       "Book looks show {pupils} correcting and improving their work",
       "Moderation confirms assessment judgements are accurate"),
      ("TS6",)),
    T("send", "Use scaffolds and adaptive teaching to support {pupils} with EAL in {cls}",
      "Plan language scaffolds and visual supports so that {pupils} with English as an "
      "additional language access the full curriculum.",
      ("Language scaffolds planned for every unit",
       "{pupils} new to English make a step of progress on the EAL assessment framework",
       "Parents of {pupils} with EAL attend at least one progress meeting"),
      ("TS5", "TS3")),
)  # fmt: skip

ECT_OBJECTIVES = (
    T("cpd", "Complete year {n} of the Early Career Framework",
      "Engage fully with the ECF programme, mentor meetings and the trust's induction "
      "sessions.",
      ("Weekly mentor meetings held and recorded",
       "All ECF self-study modules for the year completed",
       "Progress review confirms performance against the Teachers' Standards"),
      ("TS8", "TS1", "TS2", "TS3", "TS4", "TS5", "TS6", "TS7")),
)  # fmt: skip

MIDDLE_LEADER_OBJECTIVES = (
    T("assessment", "Lead improvement in outcomes across {area}",
      "Use assessment information to target teaching and intervention across {area}.",
      ("Outcomes in {area} improve by {pct2} percentage points on last year",
       "Half-termly data reviews with every teacher in {area}",
       "Intervention impact evaluated and reported to senior leaders termly"),
      ("TS8", "TS2")),
    T("cpd", "Quality-assure teaching in {area} through regular learning walks",
      "Run a fortnightly cycle of learning walks and book looks with developmental feedback.",
      ("At least {n} learning walks completed each half term",
       "Feedback to colleagues given within two working days",
       "Themes shared at department or phase meetings"),
      ("TS8",)),
    T("curriculum", "Review and resequence the curriculum in {area}",
      "Map the curriculum in {area} against the national curriculum and the trust's "
      "curriculum principles.",
      ("Curriculum map for {area} complete by the spring term",
       "Gaps and overlaps removed in the revised sequence",
       "Colleagues trained on the revised curriculum"),
      ("TS3", "TS8")),
    T("cpd", "Develop colleagues in {area} through coaching",
      "Coach two colleagues using the trust's instructional coaching model.",
      ("Two coachees supported through at least {n} cycles",
       "Coachees report improved confidence in their focus area",
       "Complete the NPQ in Leading Teacher Development modules due this year"),
      ("TS8",)),
    T("attendance", "Improve the attendance of {pupils} in {area}",
      "Work with families and the attendance team to reduce persistent absence.",
      ("Attendance in {area} at or above {pct}%",
       "Persistent absence in {area} reduced by {pct2}%",
       "Every persistently absent pupil has an attendance plan"),
      ("TS8", "TS1")),
)  # fmt: skip

SENCO_OBJECTIVES = (
    T("send", "Improve the quality of SEN support plans",
      "Ensure every pupil on the SEN register has a current, outcome-focused support plan.",
      ("Every SEN support plan reviewed with parents each term",
       "Plans include measurable outcomes, as confirmed by audit",
       "Staff survey shows teachers use plans in planning"),
      ("TS5", "TS8")),
    T("send", "Deploy teaching assistants for maximum impact",
      "Review TA deployment and training in line with the EEF guidance.",
      ("TA deployment map reviewed each term",
       "All TAs complete training on scaffolding and questioning",
       "Intervention entry and exit data show progress for {pct}% of pupils"),
      ("TS5", "TS8")),
    T("send", "Strengthen the EHCP annual review process",
      "Hold every annual review on time with full multi-agency contributions.",
      ("All EHCP annual reviews held within statutory timescales",
       "Paperwork returned to the local authority within two weeks",
       "Parental feedback on reviews positive in {pct}% of responses"),
      ("TS5",)),
)  # fmt: skip

SENIOR_LEADER_OBJECTIVES = (
    T("attendance", "Lead the school's strategy to improve attendance",
      "Implement the DfE 'Working together to improve school attendance' guidance.",
      ("Whole-school attendance at or above {pct}%",
       "Persistent absence reduced by {pct2}% on last year",
       "Weekly attendance meetings held and actions tracked"),
      ("HS2", "HS9")),
    T("cpd", "Lead the teaching and learning CPD programme",
      "Plan and evaluate a coherent programme of professional development for all teachers.",
      ("CPD programme published and delivered as planned",
       "Evaluation shows improved practice in the focus areas",
       "Every teacher completes at least {n} coaching cycles"),
      ("HS3", "HS6")),
    T("curriculum", "Lead the whole-school curriculum review",
      "Ensure every subject has an ambitious, well-sequenced curriculum.",
      ("Subject deep dives completed for at least {n} subjects",
       "Curriculum intent statements updated for every subject",
       "Subject leaders report confidence in sequencing"),
      ("HS4",)),
    T("behaviour", "Improve behaviour and reduce suspensions",
      "Embed the behaviour curriculum and a graduated response for pupils at risk.",
      ("Suspensions reduced by {pct2}% compared with last year",
       "Removals from lessons fall each half term",
       "Staff survey shows {pct}% feel supported with behaviour"),
      ("HS2", "HS1")),
    T("assessment", "Lead the pupil premium strategy",
      "Plan, deliver and evaluate the pupil premium strategy statement.",
      ("Strategy statement published on time",
       "Disadvantaged pupils' outcomes improve on last year",
       "Tutoring reaches every eligible pupil identified in the autumn"),
      ("HS5", "HS8")),
)  # fmt: skip

HEAD_OBJECTIVES = (
    T("assessment", "Raise outcomes at the end of {ks}",
      "Lead improvement so that outcomes at the end of {ks} are above the national "
      "average.",
      ("{pct}% of {pupils} meeting the expected standard at the end of {ks}",
       "Disadvantaged {pupils}' outcomes improve by {pct2} percentage points",
       "Governors receive termly reports on progress towards the target"),
      ("HS3", "HS4", "HS8")),
    T("attendance", "Reduce persistent absence",
      "Lead the school's response to the trust's attendance and belonging priority.",
      ("Persistent absence below {pct2}%",
       "Whole-school attendance at or above {pct}%",
       "Attendance strategy reviewed with the Director of Education each term"),
      ("HS2", "HS9")),
    T("curriculum", "Prepare the school for its next inspection",
      "Ensure leaders at all levels can articulate the school's curriculum and its impact.",
      ("Self-evaluation form updated and quality-assured by the trust",
       "Subject deep dives completed with trust colleagues",
       "Action plan from the trust review completed"),
      ("HS4", "HS8", "HS10")),
    T("cpd", "Develop leadership capacity across the school",
      "Grow middle and senior leaders through NPQs and distributed leadership.",
      ("At least {n} leaders enrolled on or completing an NPQ",
       "Middle leaders lead one improvement project each",
       "Succession plan agreed with the trust"),
      ("HS6", "HS7")),
    T("wellbeing", "Improve staff wellbeing and retention",
      "Act on the staff survey and the DfE education staff wellbeing charter.",
      ("Staff survey wellbeing score improves on last year",
       "Workload reduction actions agreed with staff and implemented",
       "Staff turnover below {pct2}%"),
      ("HS1", "HS7")),
    T("budget", "Set and deliver a balanced budget",
      "Work with the trust's finance team to deliver a sustainable staffing structure.",
      ("Budget delivered within 1% of plan",
       "Three-year staffing plan agreed with the trust",
       "Curriculum-led financial planning completed"),
      ("HS7", "HS10")),
)  # fmt: skip

BUSINESS_MANAGER_OBJECTIVES = (
    T("budget", "Deliver the school budget within plan",
      "Monitor spending monthly and advise the headteacher on the forecast.",
      ("Budget outturn within 1% of plan",
       "Monthly monitoring reports produced on time",
       "Audit recommendations closed by the spring term"),
      ()),
    T("operations", "Improve health and safety compliance",
      "Maintain an up-to-date compliance calendar with the site team.",
      ("All statutory checks completed and logged on time",
       "Fire drills held every term with records kept",
       "Health and safety audit rated good or better"),
      ()),
    T("operations", "Procure and mobilise the new catering contract",
      "Run a compliant procurement with the trust and manage the changeover.",
      ("Procurement completed within the trust's timetable",
       "Uptake of school meals at or above {pct}%",
       "Parent feedback on catering improves"),
      ()),
)  # fmt: skip

# The trust's framework for support staff (the Professional Standards for Teaching Assistants,
# 2016, in four themes): configured in each cycle's policy so objectives may cite it.
SUPPORT_FRAMEWORKS = tuple(f"TA Standards: Theme {n}" for n in range(1, 5))

SUPPORT_OBJECTIVES = {
    "classroom": (
        T("reading", "Deliver effective phonics interventions",
          "Run daily catch-up phonics sessions for identified pupils.",
          ("At least {pct}% of intervention pupils make expected progress",
           "Sessions delivered daily and recorded on the intervention tracker",
           "Complete the trust's phonics training"),
          ("TA Standards: Theme 2",)),
        T("send", "Support pupils with SEND to become more independent",
          "Use prompts and scaffolds that fade over time, guided by the pupil's profile.",
          ("Independence targets met for {pct}% of supported pupils",
           "Observation shows scaffolds reduced over the year",
           "Regular feedback shared with the class teacher"),
          ("TA Standards: Theme 3",)),
        T("cpd", "Complete the Level 3 Teaching Assistant qualification",
          "Study for the Level 3 Diploma in Supporting Teaching and Learning.",
          ("All units submitted by the end of the summer term",
           "Assessor observations completed",
           "Learning applied to intervention sessions"),
          ("TA Standards: Theme 4",)),
        T("maths", "Run a maths intervention for {cls}",
          "Deliver a structured maths intervention using concrete resources.",
          ("Entry and exit assessments show gains for {pct}% of pupils",
           "Sessions delivered three times a week",
           "Progress shared at pupil progress meetings"),
          ("TA Standards: Theme 2",)),
    ),
    "office": (
        T("operations", "Improve the accuracy of attendance and admissions data",
          "Keep the MIS accurate and reports timely.",
          ("Registers completed for {pct}% of sessions by 9.30am",
           "Data returns submitted on time",
           "Weekly attendance report produced"),
          ()),
        T("operations", "Streamline communication with parents",
          "Move routine letters to the parent app and keep the website up to date.",
          ("Parent app used for all routine communication",
           "Website compliance check passed",
           "Response to parent emails within two working days"),
          ()),
        T("cpd", "Implement the new MIS module",
          "Lead the office team's move to the new management information system module.",
          ("Module live by the spring term",
           "Colleagues trained",
           "No data lost in migration"),
          ()),
    ),
    "site": (
        T("operations", "Complete the planned maintenance schedule",
          "Keep the site safe, clean and ready for learning.",
          ("Planned maintenance tasks completed on schedule",
           "Reactive jobs closed within five working days",
           "Compliance checks logged"),
          ()),
        T("operations", "Reduce energy use on the school site",
          "Support the trust's sustainability plan.",
          ("Energy use reduced by {pct2}% on last year",
           "Heating schedules reviewed each term",
           "LED replacement completed in agreed areas"),
          ()),
    ),
    "pastoral": (
        T("attendance", "Improve the attendance of targeted families",
          "Work with families of persistently absent pupils.",
          ("Attendance of targeted pupils improves by {pct2} percentage points",
           "Home visits and meetings recorded",
           "Early help referrals made where needed"),
          ()),
        T("wellbeing", "Run a pupil wellbeing programme",
          "Deliver small-group sessions on emotional regulation.",
          ("Programme delivered to at least {n} groups",
           "Pupil wellbeing measures improve",
           "Staff feedback positive"),
          ()),
        T("send", "Support transition for vulnerable pupils",
          "Plan enhanced transition for pupils joining or leaving the school.",
          ("Transition plans in place for all identified pupils",
           "Visits and meetings held before the move",
           "Pupils settled within the first half term"),
          ()),
    ),
    "technical": (
        T("operations", "Prepare practical resources to support the curriculum",
          "Plan resources with teachers so that practical work runs smoothly.",
          ("Practical requests prepared on time",
           "Risk assessments kept current",
           "Stock managed within budget"),
          ()),
        T("operations", "Roll out device management across the school",
          "Enrol and manage devices in line with the trust's IT policy.",
          ("All devices enrolled in device management",
           "Helpdesk tickets resolved within agreed times",
           "Staff trained on the new systems"),
          ()),
        T("reading", "Promote reading for pleasure through the library",
          "Run reading events and keep stock current.",
          ("Library borrowing up by {pct2}%",
           "At least {n} reading events held",
           "Reading lists refreshed for each year group"),
          ()),
    ),
}  # fmt: skip

CENTRAL_TITLES = ("Chief Executive Officer", "Director of Education")

# What people write -----------------------------------------------------------------------

PLANNING_NOTES = (
    "Planning meeting. Reviewed last year's outcomes and the school improvement plan; agreed "
    "objectives and the support needed.",
    "Planning meeting held. Discussed priorities for the year, CPD needs and how progress will "
    "be evidenced.",
    "Planning meeting: objectives drafted together and linked to the development plan; "
    "success criteria to be finalised this week.",
    "Initial meeting. Agreed focus areas, identified training and set dates for review points.",
)
MID_YEAR_NOTES = (
    "Mid-year review. Good progress on most objectives; agreed next steps and adjusted one "
    "success criterion.",
    "Mid-year review held. Evidence discussed; on track overall, with more support agreed for "
    "one objective.",
    "Mid-year meeting: reviewed progress data and observations; objectives remain appropriate.",
    "Mid-year review. Some objectives behind schedule because of staffing changes; actions agreed.",
)
END_YEAR_NOTES = (
    "End-of-year review. Evidence reviewed against each objective; self-assessment discussed.",
    "End-of-year meeting held. Outcomes agreed for each objective and development needs for "
    "next year identified.",
    "End-of-year review: strong year overall; discussed next year's focus.",
)
PROGRESS_NOTES = (
    "Baseline assessment completed and groups set up.",
    "Learning walk showed routines becoming embedded.",
    "Data drop shows most pupils on track.",
    "Coaching cycle completed; next action step agreed.",
    "Moderated work with colleagues; judgements consistent.",
    "Intervention running as planned; early gains seen.",
    "Training completed and first actions in place.",
    "Progress slower than planned because of staff absence; catch-up plan agreed.",
    "Shared practice at the staff meeting; positive feedback.",
    "Evidence gathered for the mid-year review.",
    "Parents' feedback collected and reviewed.",
    "Targets on track; some pupils need further support.",
)
EVIDENCE = (
    "Learning walk notes", "Data drop summary", "Termly data report",
    "Pupil progress meeting notes", "Book look summary", "CPD record", "Attendance report",
    "Coaching log",
    "Intervention tracker", "Parent survey results", "Budget monitoring report",
    "Lesson observation feedback", "Moderation record", "Governors' report",
)  # fmt: skip
SELF_ASSESSMENTS = (
    "I have met most of my objectives this year. The coaching made the biggest difference to "
    "my practice; I would like to develop my subject leadership next year.",
    "A challenging year with staffing changes, but pupils made good progress. I am proud of "
    "the reading work and want more time for collaborative planning.",
    "I met my objectives and took on extra responsibility. Next year I would like training in "
    "supporting pupils with SEND.",
    "Progress on two objectives was strong; the third was affected by the timetable change. I "
    "have learned a great deal and feel well supported.",
)
ASSESSMENT_SUMMARIES = {
    "exceeds": "An outstanding year: every objective met with clear impact on pupils.",
    "meets": "A successful year: objectives met or substantially met, with good evidence.",
    "partially_meets": "Good progress in some areas; further development needed in others.",
    "does_not_meet": "Objectives were not met; a support plan is agreed for next year.",
}
OBJECTIVE_NOTES = {
    "met": (
        "Met: the evidence clearly shows the success criteria were achieved.",
        "Met in full, with impact seen in pupils' outcomes.",
    ),
    "partially_met": (
        "Partially met: good progress, but not all criteria were achieved.",
        "Partially met; the remaining criteria carry into next year.",
    ),
    "not_met": (
        "Not met: circumstances outside the appraisee's control affected this objective.",
        "Not met; support agreed to address this next year.",
    ),
}
DEVELOPMENT_NEEDS = (
    "Subject leadership training", "Adaptive teaching for pupils with SEND",
    "NPQ in Leading Teaching", "Behaviour management refresher", "Coaching skills",
    "Phonics training", "Curriculum design", "Data and assessment literacy",
    "Time management and workload", "Safeguarding refresher", "Mentoring an ECT",
)  # fmt: skip
SUPPORT_OFFERED = (
    "Release time for observation of colleagues in the trust.",
    "A place on the trust's leadership programme.",
    "Coaching with a specialist leader of education.",
    "Funding for the relevant NPQ.",
)
APPRAISEE_COMMENTS = (
    "I agree with the report and thank my appraiser for the support this year.",
    "A fair summary. I would have liked more time for the third objective.",
    "I agree with the outcomes and look forward to the development opportunities.",
    "Thank you; the report reflects the year well.",
)
APPEAL_GROUNDS = (
    "The assessment of my second objective does not take account of the evidence I "
    "submitted in June.",
    "The overall judgement is inconsistent with the objective outcomes recorded.",
    "My objective was affected by a long-term absence in the team that was not considered.",
)
APPEAL_UPHELD_NOTES = (
    "Appeal upheld: the evidence was not fully considered. The review is reopened for "
    "reassessment.",
    "Appeal upheld after a hearing; the appraiser will reassess the objectives concerned.",
)
APPEAL_DISMISSED_NOTES = (
    "Appeal dismissed: the assessment is consistent with the evidence.",
    "Appeal dismissed after a hearing; the judgements stand.",
)
MODERATION_NOTES = (
    "Judgements consistent with the evidence seen at moderation.",
    "Confirmed at the trust moderation meeting.",
    "Moderated: report complete and judgements supported.",
)
REFERRAL_NOTES = (
    "Referred back: the overall judgement is not supported by the objective outcomes; please "
    "review.",
    "Referred back: development needs are missing from the report.",
)
REOPEN_REASONS = (
    "Factual error: the outcome recorded for one objective does not match the evidence.",
    "Reopened to correct the report after new evidence came to light.",
)
REVISION_REASONS_PLANNING = (
    "Success criteria made measurable at the planning meeting.",
    "Target adjusted after the baseline assessment.",
    "Reworded after discussion with the appraisee.",
    "Due date moved to fit the assessment calendar.",
)
REVISION_REASONS_MID_YEAR = (
    "Refocused after the mid-year review: the cohort changed.",
    "Target adjusted after the spring data drop.",
    "Timescale extended after long-term staff absence in the team.",
    "Success criteria updated to reflect the new timetable.",
)
CRITERION_EXTRAS = (
    "Impact shared with colleagues at a staff meeting",
    "Pupil voice gathered to evaluate impact",
    "Evidence presented at the end-of-year review",
    "Approach written up for the trust's practice library",
)
TITLE_FOCUSES = (
    "with a focus on disadvantaged pupils",
    "with a focus on boys' attainment",
    "for pupils with SEND",
    "in the spring and summer terms",
)
SET_WITHOUT_AGREEMENT_REASONS = (
    "We could not agree the target after two meetings; the objective is set in line with the "
    "appraisal policy.",
    "The appraisee feels the target is too high; it is set as it reflects the school's "
    "development plan.",
)
DISAGREEMENTS = (
    "I do not agree that this target is achievable with the current class make-up and "
    "support available.",
    "I disagree with the timescale; the success criteria do not allow for the staffing "
    "changes in my team.",
)
WITHDRAW_REASONS = (
    "Role changed after the mid-year review; the objective no longer applies.",
    "The project was cancelled by the trust.",
    "Replaced by a more relevant objective agreed at the mid-year review.",
)
REINSTATE_REASONS = (
    "The appeal found the objective was withdrawn without discussion; it is reinstated and "
    "assessed.",
)
TRANSFER_REASONS = (
    "Moved to {school} to strengthen the team there.",
    "Redeployed to {school} after a staffing restructure.",
    "Promoted into a vacancy at {school}.",
)
APPRAISER_CHANGE_REASONS = (
    "Moved to {school}: appraisal continues with the new line manager.",
    "New line manager after the move to {school}.",
)
LINE_MANAGER_REASONS = ("Line management for {year}.", "Line management structure for {year}.")
LEAVING_REASONS = (
    "Resigned: relocating out of the area.",
    "Retirement.",
    "Moved to a school outside the trust.",
    "End of fixed-term contract.",
)
RENAME_REASON = "Renamed after consultation with parents on joining the trust."
POLICY_CHANGE_REASON = (
    "The trust board agreed a 15-day appeal window following consultation with the unions."
)
CYCLE_REOPEN_REASON = (
    "Reopened to complete moderation of the reviews signed in the last week of term."
)
CYCLE_CLOSE_REASON = (
    "The year ends: reviews of staff on long-term leave or who left are closed unfinished."
)
EXTERNAL_ADVISER = ("Dr Morag Finch", "Northern School Improvement Partners")
ADVISER_CONSULTATION = (
    "The adviser went through the school's results and the trust's priorities with the panel "
    "and recommended objectives on curriculum, outcomes and staff development."
)

# Role grants: why the trust's administrator gave each leader their access.
LEADER_GRANT = "Member of the trust's executive team: sees every school's appraisals."
HEAD_GRANT = "Headteacher of the school: leads its appraisal cycle."
ADMIN_GRANT = "Manages the trust's staff records and who has access to what."
ANALYST_GRANT = "Board review of last year's appraisal data, for the spring meeting."
ANALYST_END = "The board's review of the data is finished."
# Surnames taken on marriage, for the summer name changes.
MARRIED_SURNAMES = ("Okafor", "Lindqvist", "Brennan", "Achterberg", "Whitlock", "Sandhu")
