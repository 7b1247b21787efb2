"""The demo consultation's text: phases and phase-1 statements, with planted group leanings.

Each statement carries the probability that a member of each simulated opinion group agrees:
(reform-minded civil society, government implementers, local and grassroots). Some statements
are common ground (all high), some divide the groups; the simulation in ``loader`` uses them.
"""
# ruff: noqa: E501

CONSULTATION = {
    "slug": "demo",
    "title": "Open Futures Partnership — Strategy 2027–2031",
    "description": (
        "The Open Futures Partnership brings together governments and civil society to make "
        "public institutions more transparent, participatory and accountable. Over the coming "
        "year its members and the public co-create the Partnership's five-year strategy, in "
        "three phases. At the end of each phase the Support Unit publishes a reasoned response: "
        "what we heard and what we did with it."
    ),
    "languages": ["en", "fr", "es"],
}

PHASES = [
    {
        "title": "Relevance and role",
        "purpose": (
            "What matters most for open government in the next five years, and what role should "
            "the Partnership play? Vote on the statements below and add your own."
        ),
        "state": "open",
    },
    {
        "title": "Validating the emerging directions",
        "purpose": (
            "Do the strategic directions that emerged from phase 1 reflect what you said? Which "
            "concrete ideas belong under each?"
        ),
        "state": "draft",
    },
    {
        "title": "Public comment on the draft strategy",
        "purpose": "Comment on the draft strategy before the Steering Committee approves it.",
        "state": "draft",
    },
]

GROUPS = ("Reform-minded civil society", "Government implementers", "Local and grassroots")
GROUP_SIZES = (120, 90, 110)

# (topic, statement, (p_agree A, p_agree B, p_agree C))
STATEMENTS: list[tuple[str, str, tuple[float, float, float]]] = [
    (
        "participation",
        "Citizen participation in national action plans should be a requirement for members, not a recommendation.",
        (0.85, 0.35, 0.80),
    ),
    (
        "participation",
        "Deliberative methods such as citizens' assemblies deserve a bigger place in the next strategy.",
        (0.75, 0.30, 0.70),
    ),
    (
        "participation",
        "Participation must reach people outside capital cities, including those without internet access.",
        (0.88, 0.80, 0.92),
    ),
    (
        "participation",
        "Online consultations on their own give too much weight to people who are already engaged.",
        (0.45, 0.50, 0.88),
    ),
    (
        "participation",
        "Members should tell participants how their input was used, every time.",
        (0.92, 0.82, 0.90),
    ),
    (
        "civic space",
        "Protecting civic space should be a core goal of the strategy, not a side topic.",
        (0.92, 0.30, 0.35),
    ),
    (
        "civic space",
        "The Partnership should speak out publicly when a member government restricts civil society.",
        (0.90, 0.15, 0.30),
    ),
    (
        "civic space",
        "Laws that limit foreign funding of associations are a threat to open government.",
        (0.85, 0.20, 0.30),
    ),
    (
        "civic space",
        "Journalists and human-rights defenders need practical protection, not only statements of support.",
        (0.85, 0.45, 0.70),
    ),
    (
        "anti-corruption",
        "Registers of who really owns companies should be public and free to search.",
        (0.90, 0.50, 0.70),
    ),
    (
        "anti-corruption",
        "Open contracting data should cover every stage of public procurement, from planning to payment.",
        (0.85, 0.70, 0.60),
    ),
    (
        "anti-corruption",
        "Asset declarations of senior officials should be published and checked by an independent body.",
        (0.85, 0.40, 0.75),
    ),
    (
        "anti-corruption",
        "Anti-corruption commitments are too often symbolic; the strategy should put enforcement first.",
        (0.80, 0.25, 0.70),
    ),
    (
        "digital governance",
        "Governments should publish how they use algorithms in decisions that affect people.",
        (0.80, 0.55, 0.60),
    ),
    (
        "digital governance",
        "Digital public services must never become the only way to reach the administration.",
        (0.82, 0.78, 0.92),
    ),
    (
        "digital governance",
        "The Partnership should help members build shared, open digital infrastructure instead of buying closed software.",
        (0.60, 0.80, 0.40),
    ),
    (
        "digital governance",
        "Protecting personal data must come first when governments open up their data.",
        (0.75, 0.60, 0.70),
    ),
    (
        "digital governance",
        "Artificial intelligence used by public administrations needs independent oversight.",
        (0.88, 0.40, 0.45),
    ),
    (
        "climate",
        "Climate action should be a priority area of the next five-year strategy.",
        (0.35, 0.45, 0.92),
    ),
    (
        "climate",
        "Open data on emissions and climate finance would let citizens hold governments to account.",
        (0.80, 0.60, 0.80),
    ),
    (
        "climate",
        "Climate is outside the Partnership's mandate and should be left to other organisations.",
        (0.55, 0.60, 0.08),
    ),
    (
        "climate",
        "Communities affected by mining and energy projects must have a say before licences are granted.",
        (0.80, 0.35, 0.95),
    ),
    (
        "local open government",
        "Local governments are where people first see open government at work; they deserve more support.",
        (0.75, 0.72, 0.95),
    ),
    (
        "local open government",
        "Open budgets at city level should be standard practice for every local member.",
        (0.80, 0.60, 0.85),
    ),
    (
        "local open government",
        "The local programme should grow to include small and rural municipalities.",
        (0.40, 0.50, 0.92),
    ),
    (
        "local open government",
        "National governments should share funding with local members that carry out reforms.",
        (0.35, 0.30, 0.92),
    ),
    (
        "coalitions and leadership",
        "Reformers inside government need more recognition and peer support from the Partnership.",
        (0.50, 0.90, 0.55),
    ),
    (
        "coalitions and leadership",
        "Civil society and government should co-chair every national multi-stakeholder forum.",
        (0.85, 0.45, 0.75),
    ),
    (
        "coalitions and leadership",
        "The Partnership should work more with parliaments, not only with governments.",
        (0.75, 0.55, 0.60),
    ),
    (
        "coalitions and leadership",
        "Youth organisations should have a guaranteed seat in multi-stakeholder forums.",
        (0.75, 0.40, 0.85),
    ),
    (
        "coalitions and leadership",
        "Closer ties with private companies risk weakening the independence of the process.",
        (0.70, 0.30, 0.65),
    ),
    (
        "standards and benchmarks",
        "Members that repeatedly fail to meet minimum standards should face clear consequences.",
        (0.88, 0.20, 0.35),
    ),
    (
        "standards and benchmarks",
        "The Partnership should measure the results of reforms, not only whether commitments were completed.",
        (0.90, 0.80, 0.85),
    ),
    (
        "standards and benchmarks",
        "Independent reviews of action plans should be shorter and easier to read.",
        (0.60, 0.80, 0.75),
    ),
    (
        "standards and benchmarks",
        "Global rankings of countries discourage reformers more than they help them.",
        (0.25, 0.75, 0.70),
    ),
    (
        "standards and benchmarks",
        "Fewer, more ambitious commitments are better than long action plans.",
        (0.70, 0.65, 0.60),
    ),
    (
        "focus",
        "The strategy should concentrate on a few themes where the Partnership can make a real difference.",
        (0.60, 0.75, 0.50),
    ),
    (
        "civic space",
        "Membership should stay open to governments whatever their human-rights record, to encourage reform from within.",
        (0.15, 0.70, 0.35),
    ),
    (
        "access to information",
        "Access-to-information laws should be strengthened before members take on new commitments.",
        (0.80, 0.45, 0.70),
    ),
    (
        "participation",
        "The Support Unit should publish the raw notes of every community conversation.",
        (0.80, 0.50, 0.80),
    ),
    (
        "inclusion",
        "Gender equality should be built into every commitment, not treated as a separate theme.",
        (0.80, 0.50, 0.70),
    ),
    (
        "justice",
        "Courts and justice systems belong in open government: they need transparency too.",
        (0.80, 0.45, 0.60),
    ),
]

# Statements participants wrote that still wait for moderation (to show the queue).
PENDING = [
    "Regional dialogues should be held in local languages, with interpretation paid for by the Partnership.",
    "The strategy should say how the Partnership itself will be transparent about its own budget.",
    "Schools could teach young people how to use access-to-information requests.",
]

# A statement a moderator rejected, with the reason shown to its author.
REJECTED = (
    "Vote for my party at the next election!!!",
    "Spam or advertising",
)

DEMO_USERS = [
    ("admin@example.org", "admin", "Alex Admin"),
    ("support@example.org", "support", "Sam Support"),
    ("host@example.org", "host", "Hana Host"),
    ("steering@example.org", "steering", "Sofía Steering"),
]
DEMO_PASSWORD = "consult-demo"

# Community conversations whose notes (written by us, in consult/demo/notes/) are imported into
# phase 1: (file, host organisation, title, region, place, participants, groups, language, days ago)
CONVERSATIONS = [
    (
        "regional-dialogue-eastern-highlands.md",
        "Highlands Civic Network",
        "Regional dialogue — Eastern Highlands",
        "Eastern Highlands",
        "Mbera town hall",
        34,
        "civil society, local government, youth, media",
        "en",
        9,
    ),
    (
        "dialogue-jeunesse-dakar.txt",
        "Collectif Jeunes Citoyens",
        "Dialogue jeunesse — quartier de la Médina",
        "Dakar",
        "Maison des jeunes de la Médina",
        18,
        "youth, students",
        "fr",
        5,
    ),
]
