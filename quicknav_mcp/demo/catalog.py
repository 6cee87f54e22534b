"""Static vocabulary of the synthetic AV-integration firm: clients, offices, sites, kit.

The firm itself is fictional (Paragon AV Systems, "PAVS"); its offices appear as clients
in folder names (``PAVS SA``, ``PAVS NSW``) exactly the way the real catalogue shows
internal inter-office jobs. Client abbreviations go in folder names, fuller names in
document names and text.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRM = "Paragon AV Systems"
FIRM_LEGAL = "Paragon Audio Visual Integration Pty Ltd"


@dataclass(frozen=True, slots=True)
class Client:
    """A client (or one of the firm's own offices, ``office=True``)."""

    abbr: str
    name: str
    aliases: tuple[str, ...] = ()
    state: str = "QLD"
    office: bool = False
    gov: bool = False


CLIENTS: tuple[Client, ...] = (
    Client("PLWRX", "Poolwerx"),
    Client("DWNR", "Downer", ("Spotless", "Downer Group")),
    Client("CPQST", "Charter Hall", ("Charter Hall Property Trust",)),
    Client("QPS", "Queensland Police Service", gov=True),
    Client("DTMR", "Department of Transport and Main Roads", ("TMR",), gov=True),
    Client("HTCHB", "Hutchinson Builders", ("Hutchies",)),
    Client("SLSQ", "Surf Life Saving Queensland"),
    Client("VOLVO", "Volvo Group Australia", ("Volvo Group", "Volvo")),
    Client("GBTPA", "Gallagher Bassett", state="NSW"),
    Client("NTR", "Northern Tide Renewables"),
    Client("BRDGW", "Bridgewater Health"),
    Client("MRNBK", "Marinbank Financial", state="NSW"),
    Client("SHGS", "Southhill Grammar School"),
    Client("KRLGC", "Karalee Golf Club"),
    Client("MRBC", "Moreton Ridge Regional Council", ("Moreton Ridge Council",), gov=True),
    Client("GLNDL", "Glendale Private Hospital"),
    Client("ATLSM", "Atlas Mining", state="WA"),
    Client("HBRLG", "Harbourline Logistics"),
    Client("STNRG", "Stonebridge Energy", state="SA"),
    Client("NRTHP", "Northpoint Property Group"),
    Client("RVRST", "Riverstone Aged Care"),
    Client("CLRKS", "Clarkson Legal", state="VIC"),
    Client("BNDML", "Bundall Medical Centre"),
    Client("FRTRS", "Fortress Insurance", state="NSW"),
    Client("PCFCU", "Pacific Coast Credit Union"),
    Client("APXCN", "Apex Constructions"),
    Client("KNGFS", "Kingfisher Resorts"),
    Client("OCNVW", "Oceanview Hotels", ("Oceanview Hotel Group",)),
    Client("WTRLN", "Waterline Utilities", gov=True),
    Client("UNIBG", "Bluegum University", ("Bluegum Uni",)),
    Client("MTRC", "Metro Rail Corporation", state="NSW", gov=True),
    Client("SLCC", "Springfield Lakes Community Centre"),
    Client("SNFRM", "Sunfarm Foods"),
    Client("CSTSC", "Coastal Sports Club"),
    Client("IRNBK", "Ironbark Defence Systems", state="SA"),
    Client("ELMWD", "Elmwood Accounting", state="VIC"),
    Client("TRDWN", "Tradewinds Airlines"),
    Client("GRNLF", "Greenleaf Pharmaceuticals", state="VIC"),
    Client("DHA", "Defence Housing Australia", gov=True),
    Client("QBLD", "Queensland Ballet"),
    Client("MCLNS", "McLeans Engineering", state="WA"),
    Client("SNTRX", "Sentrix Data Centres", state="NSW"),
    Client("PAVS SA", "Paragon AV Systems SA", ("PAVS-SA", "Paragon AV SA"), state="SA", office=True),
    Client("PAVS NSW", "Paragon AV Systems NSW", ("PAVs NSW",), state="NSW", office=True),
    Client("PAVS VIC", "Paragon AV Systems VIC", ("PAVS-VIC",), state="VIC", office=True),
    Client("PROAV-SA", "Paragon AV Systems SA", ("PAVS SA",), state="SA", office=True),
)

# End customers of inter-office jobs: (short form used in folder names, full name).
END_CLIENTS: tuple[tuple[str, str], ...] = (
    ("SAAB", "Saab Australia"),
    ("WPP", "WPP Media"),
    ("Santos", "Santos Energy"),
    ("DHA", "Defence Housing Australia"),
    ("Helix", "Helix Engineering"),
    ("Orca", "Orca Shipping"),
    ("BHPX", "BHPX Minerals"),
    ("Telstar", "Telstar Communications"),
)

# (short, long) city / state for sites.
CITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    # state: ((city short, city long, postcode), ...)
    "QLD": (
        ("BNE", "Brisbane", "4000"),
        ("GC", "Gold Coast", "4217"),
        ("TSV", "Townsville", "4810"),
        ("CNS", "Cairns", "4870"),
        ("TWB", "Toowoomba", "4350"),
        ("SC", "Sunshine Coast", "4558"),
        ("IPS", "Ipswich", "4305"),
        ("MKY", "Mackay", "4740"),
    ),
    "NSW": (("SYD", "Sydney", "2000"), ("NCL", "Newcastle", "2300"), ("PAR", "Parramatta", "2150")),
    "VIC": (("MEL", "Melbourne", "3000"), ("GEE", "Geelong", "3220")),
    "SA": (("ADL", "Adelaide", "5000"), ("MAW", "Mawson Lakes", "5095")),
    "WA": (("PER", "Perth", "6000"), ("KAL", "Kalgoorlie", "6430")),
}

STREETS: tuple[tuple[str, str], ...] = (
    ("George St", "George Street"),
    ("Quay St", "Quay Street"),
    ("Mary St", "Mary Street"),
    ("Adelaide St", "Adelaide Street"),
    ("Eagle St", "Eagle Street"),
    ("Ann St", "Ann Street"),
    ("Creek St", "Creek Street"),
    ("Queen St", "Queen Street"),
    ("Roma St", "Roma Street"),
    ("Tank St", "Tank Street"),
    ("Collins St", "Collins Street"),
    ("Pitt St", "Pitt Street"),
    ("King William St", "King William Street"),
    ("Hay St", "Hay Street"),
    ("Flinders St", "Flinders Street"),
    ("Makerston St", "Makerston Street"),
    ("Grey St", "Grey Street"),
    ("Wickham Tce", "Wickham Terrace"),
    ("Boundary Rd", "Boundary Road"),
    ("Logan Rd", "Logan Road"),
    ("Sandgate Rd", "Sandgate Road"),
    ("Gympie Rd", "Gympie Road"),
)

# Scope words: (short form in folder names, long form in document names).
AREAS: tuple[tuple[str, str], ...] = (
    ("BR", "Boardroom"),
    ("TR", "Training Room"),
    ("MR", "Meeting Rooms"),
    ("MTR RM", "MTR Room"),
    ("Collab MR", "Collab Meeting Room"),
    ("Town Hall", "Town Hall"),
    ("Exec MR", "Executive Meeting Room"),
    ("Aud", "Auditorium"),
    ("Conf Ctr", "Conference Centre"),
    ("Council Chmbr", "Council Chambers"),
    ("Lecture Th", "Lecture Theatre"),
    ("Hearing Loop", "Hearing Loop"),
    ("Dig Sig", "Digital Signage"),
    ("VC Rooms", "Video Conference Rooms"),
    ("Club House", "Club House"),
    ("Office", "Office"),
    ("Workspace", "Workspace"),
    ("SOC", "Security Operations Centre"),
    ("Control Rm", "Control Room"),
    ("Sports Pav", "Sports Pavilion"),
    ("Foyer LED", "Foyer LED Wall"),
    ("Ops Ctr", "Operations Centre"),
    ("Function Rm", "Function Room"),
    ("Sim Lab", "Simulation Lab"),
)
ACTIONS: tuple[tuple[str, str], ...] = (
    ("Upgrades", "Upgrades"),
    ("Upgrade", "Upgrade"),
    ("Refurb", "Refurbishment"),
    ("Fitout", "Fitout"),
    ("Reno", "Renovation"),
    ("Replacement", "Replacement"),
    ("PJ Replacement", "Projector Replacement"),
    ("inst", "Installation"),
    ("Install", "Install"),
    ("Relocation", "Relocation Project"),
    ("Renewal", "Renewal"),
    ("Expansion", "Expansion"),
    ("Rollout", "Rollout"),
    ("New Build", "New Build"),
    ("AV Works", "AV Works"),
)
LEVELS: tuple[tuple[str, str], ...] = (
    ("GF", "Ground Floor"),
    ("L1", "Level 1"),
    ("L2", "Level 2"),
    ("L3", "Level 3"),
    ("Lvl 4", "Level 4"),
    ("L6", "Level 6"),
    ("L12", "Level 12"),
    ("L30", "Level 30"),
)
SUFFIXES: tuple[str, ...] = ("Phase 2", "Stage 1", "Stage 2", "- Bulk Order", "Tranche 2", "Variation")

ROOM_NAMES: tuple[str, ...] = (
    "Boardroom",
    "Training Room",
    "Meeting Room",
    "Town Hall",
    "Executive Office",
    "Collaboration Zone",
    "Reception Digital Signage",
    "Auditorium",
    "Huddle Room",
    "Conference Room",
    "Breakout Space",
    "Council Chambers",
    "Lecture Theatre",
    "Board Room 2",
    "Large Meeting Room",
    "Small Meeting Room",
    "Interview Room",
    "Operations Centre",
    "Function Room",
    "Cafe Signage",
    "Quiet Room",
    "Project Room",
)

# Room kits for MTR/Zoom rollouts and fit-outs: (kit name, size word, equipment lines).
KITS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Lenovo Core Medium Room Solution",
        "LENOVO CORE MEDIUM",
        (
            "Lenovo ThinkSmart Core Full Room Kit (Microsoft Teams Rooms)",
            "Lenovo ThinkSmart Controller touch console",
            "Logitech Rally Bar video bar",
            'Samsung QM75C 75" UHD display x2',
        ),
    ),
    (
        "Lenovo Core Small Room Solution",
        "LENOVO CORE SMALL",
        (
            "Lenovo ThinkSmart Core (MTR) compute",
            "Logitech MeetUp 2 camera and speakerphone",
            'Samsung QM65C 65" display',
        ),
    ),
    (
        "Lenovo Thinksmart Hub Small Room Solution",
        "LENOVO THINKSMART HUB SMALL",
        (
            "Lenovo ThinkSmart Hub Gen 2 (MTR)",
            "Logitech MeetUp camera",
            'LG 55UH5F 55" display',
        ),
    ),
    (
        "Logitech TAP Medium Room Solution",
        "LOGITECH TAP MEDIUM",
        (
            "Logitech Tap IP room controller",
            "Logitech Rally Plus system",
            "Lenovo ThinkSmart Core MTR PC",
            'Samsung QB85C 85" display',
        ),
    ),
    (
        "Logitech TAP Small Room Solution",
        "LOGITECH TAP SMALL",
        (
            "Logitech Tap IP",
            "Logitech Rally Bar Mini",
            'Samsung QM55C 55" display',
        ),
    ),
    (
        "Poly MTR Medium Room Solution",
        "POLY MTR MEDIUM",
        (
            "Poly Studio X70 video bar",
            "Poly TC10 touch controller",
            'Samsung QM75C 75" display x2',
        ),
    ),
    (
        "Poly MTR Trolley Solution",
        "POLY MTR TROLLEY",
        (
            "Poly Studio X52 video bar",
            "Chief mobile trolley",
            'Samsung QM65C 65" display',
        ),
    ),
    (
        "Crestron Flex Boardroom Solution",
        "CRESTRON FLEX BOARDROOM",
        (
            "Crestron Flex UC-B160-T Teams Rooms kit",
            "Crestron CP4N control processor",
            "Crestron TSW-1070 touch panel",
            "Biamp Tesira Forte AVB VT DSP",
            "Biamp Parle TCM-XA ceiling microphone x2",
            'Samsung QM98C 98" display',
        ),
    ),
    (
        "Crestron NVX Training Room Solution",
        "CRESTRON NVX TRAINING",
        (
            "Crestron DM-NVX-360 AV-over-IP encoders x4",
            "Crestron DM-NVX-D30 decoders x4",
            "Crestron CP4N control processor",
            "Epson EB-PU2010 laser projector",
            'Screen Technics 150" electric screen',
            "Shure MXA920 ceiling array microphone",
            "QSC Core Nano DSP",
        ),
    ),
    (
        "Zoom Rooms Medium Solution",
        "ZOOM ROOMS MEDIUM",
        (
            "Neat Bar Pro video bar",
            "Neat Pad controller",
            'Samsung QM75C 75" display',
        ),
    ),
    (
        "Digital Signage Solution",
        "DIGITAL SIGNAGE",
        (
            'Samsung QB55C 55" signage display x3',
            "BrightSign XT1144 media player x3",
            "Extron DTP HDMI 4K 230 extender",
        ),
    ),
)

# Fit-out equipment (used for equipment lists in designs, BOMs, proposals).
EQUIPMENT: tuple[tuple[str, str], ...] = (
    ("Crestron", "CP4N control processor"),
    ("Crestron", 'TSW-1070 10" touch panel'),
    ("Crestron", "DM-NVX-360 AV-over-IP encoder/decoder"),
    ("Crestron", "Flex UC-B160-T video conference kit"),
    ("Crestron", "HD-PS621 presentation switcher"),
    ("Biamp", "Tesira Forte AVB VT DSP"),
    ("Biamp", "Parle TCM-XA ceiling microphone"),
    ("Biamp", "Desono C-IC6 ceiling loudspeaker"),
    ("Samsung", 'QM85C 85" UHD display'),
    ("Samsung", 'QB75C 75" display'),
    ("Samsung", 'QM98C 98" display'),
    ("Samsung", 'VH55B-E 55" video wall panel'),
    ("LG", '55UH5F 55" display'),
    ("Logitech", "Rally Bar"),
    ("Logitech", "Tap IP"),
    ("Logitech", "Rally Plus"),
    ("Lenovo", "ThinkSmart Core (Microsoft Teams Rooms)"),
    ("Lenovo", "ThinkSmart Hub Gen 2"),
    ("Poly", "Studio X70"),
    ("Shure", "MXA920 ceiling array"),
    ("Shure", "ANIUSB-MATRIX interface"),
    ("QSC", "Core Nano"),
    ("QSC", "AD-C6T ceiling speaker"),
    ("Barco", "ClickShare CX-50 Gen 2"),
    ("Extron", "DTP HDMI 4K 230 Tx/Rx"),
    ("Extron", "IN1606 scaling presentation switcher"),
    ("Epson", "EB-PU2010 laser projector"),
    ("Sony", "VPL-PHZ61 laser projector"),
    ("Sennheiser", "TeamConnect Ceiling 2"),
    ("Audinate", "Dante AVIO analogue adapter"),
    ("JBL", "Control 24C ceiling loudspeaker"),
    ("Kramer", "PA-120NET power amplifier"),
    ("Yealink", "MeetingBar A40"),
    ("Chief", "XTM1U large flat panel mount"),
    ("Atdec", "AD-WM-7040 display mount"),
    ("Listen Technologies", "LA-490 hearing loop driver"),
    ("Univox", "PLS-7 loop amplifier"),
    ("Lightware", "UCX-4x2-HC30 USB-C switcher"),
    ("Neat", "Bar Pro"),
)

VENDORS: tuple[str, ...] = (
    "Madison AV",
    "Midwich",
    "Amber Tech",
    "Westan",
    "Barco",
    "Crestron",
    "Lightware",
    "ATDEC",
    "TAG",
    "Jands",
    "NAS Australia",
    "Hills",
    "Audio Brands Australia",
    "Syntec",
    "Ingram Micro",
)
CONSULTANTS: tuple[str, ...] = (
    "Norman Disney & Young",
    "WSP",
    "Aurecon",
    "Cundall",
    "Stantec",
    "JHA Engineers",
    "Wood & Grieve",
    "Hames Sharley",
    "Thomson Adsett",
    "Bates Smart",
)
TECHS: tuple[str, ...] = (
    "Nick-F",
    "Leo-P",
    "Michael-C",
    "Steven-Novak",
    "Dean-Capraro",
    "Jayden-Hanna",
    "Matt-Hawker",
    "Oliver-Plowman",
    "Alex-S",
    "Sam-T",
    "Karl-A",
    "Priya-N",
)
PEOPLE: tuple[str, ...] = (
    "Abbie Farmer",
    "Rob Pollock",
    "Grace Nguyen",
    "Tom Lewis",
    "Hannah Brooks",
    "Liam O'Connor",
    "Mia Russo",
    "Jack Thompson",
    "Chloe Martin",
    "Ethan Walker",
)
SHEET_DESCRIPTIONS: tuple[str, ...] = (
    "GA PLAN GROUND",
    "GA PLAN LEVEL 1",
    "GA PLAN LEVEL 2",
    "RCP LEVEL 1",
    "RCP GROUND",
    "COMMON - GYM",
    "LIFT LOBBY GROUND & LEVEL 1",
    "FURNITURE PLAN",
    "INTERNAL ELEVATIONS",
    "DEMOLITION PLAN",
    "JOINERY DETAILS",
    "POWER LAYOUT",
    "COMMUNICATIONS LAYOUT",
    "LIGHTING LAYOUT",
    "GENERAL ARRANGEMENT",
    "ROOF PLAN",
    "WALL FINISHES PLAN",
    "SCHEDULES",
)
SCHEDULE_NAMES: tuple[str, ...] = (
    "Equipment",
    "Fixtures",
    "Fittings",
    "Art",
    "Interior Finishes",
    "External Finishes",
    "Door Hardware",
)
HAZARDS: tuple[str, ...] = (
    "Working at heights on scaffolds and ladders above 2 m",
    "Manual handling of displays over 30 kg (two-person lift)",
    "Electrical work near live 240 V circuits: test before touch, lock-out tag-out",
    "Ceiling space access: asbestos register checked, PPE P2 masks",
    "Use of power tools: eye and hearing protection",
    "Occupied building: barricade work zone, after-hours noisy works",
    "Hot works near sprinkler heads: permit required",
)
