"""Static reference tables of the synthetic world: countries, zones, currencies, names, merchants.

All names are invented or very common; merchants are fictional. Nothing here is calibrated on a
source: the calibrated parameters live in ``profiles/*.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Payer (demand-side) countries: currency, IANA zones people live in, phone country code,
#: mobile prefix digits (national significant number starts with one of them), cities, name culture.


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    zones: tuple[str, ...]
    calling_code: str
    mobile_prefixes: tuple[str, ...]
    nsn_length: int
    trunk: str
    cities: tuple[str, ...]
    culture: str


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country(
            "AU",
            "AUD",
            ("Australia/Sydney", "Australia/Brisbane", "Australia/Perth"),
            "61",
            ("4",),
            9,
            "0",
            ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"),
            "en",
        ),
        Country(
            "US",
            "USD",
            ("America/New_York", "America/Chicago", "America/Los_Angeles"),
            "1",
            ("212", "312", "415", "713", "206"),
            10,
            "1",
            ("New York", "Chicago", "San Francisco", "Houston", "Seattle"),
            "en",
        ),
        Country(
            "GB",
            "GBP",
            ("Europe/London",),
            "44",
            ("7",),
            10,
            "0",
            ("London", "Manchester", "Birmingham", "Leeds", "Glasgow"),
            "en",
        ),
        Country(
            "CA",
            "CAD",
            ("America/Toronto", "America/Vancouver"),
            "1",
            ("416", "604", "403", "514"),
            10,
            "1",
            ("Toronto", "Vancouver", "Calgary", "Montreal"),
            "en",
        ),
        Country(
            "DE",
            "EUR",
            ("Europe/Berlin",),
            "49",
            ("15", "16", "17"),
            11,
            "0",
            ("Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt"),
            "de",
        ),
        Country(
            "PH",
            "PHP",
            ("Asia/Manila",),
            "63",
            ("917", "918", "927", "939", "998"),
            10,
            "0",
            (
                "Manila",
                "Quezon City",
                "Cebu City",
                "Davao City",
                "Angeles",
                "Pasay",
                "Cagayan de Oro",
                "Taguig",
            ),
            "ph",
        ),
        Country(
            "TH",
            "THB",
            ("Asia/Bangkok",),
            "66",
            ("8", "9"),
            9,
            "0",
            ("Bangkok", "Pattaya", "Chiang Mai", "Udon Thani"),
            "th",
        ),
        Country(
            "VN",
            "VND",
            ("Asia/Ho_Chi_Minh",),
            "84",
            ("9", "8"),
            9,
            "0",
            ("Ho Chi Minh City", "Hanoi", "Da Nang"),
            "vn",
        ),
        Country(
            "ID",
            "IDR",
            ("Asia/Jakarta",),
            "62",
            ("812", "813", "857"),
            11,
            "0",
            ("Jakarta", "Surabaya", "Bandung"),
            "id",
        ),
        Country(
            "MY",
            "MYR",
            ("Asia/Kuala_Lumpur",),
            "60",
            ("12", "13"),
            9,
            "0",
            ("Kuala Lumpur", "Johor Bahru"),
            "my",
        ),
    )
}

PAYER_COUNTRIES = ("AU", "US", "GB", "CA", "DE")

#: Approximate USD value of one unit, the level the daily rate series wanders around.
BASE_USD_RATES: dict[str, float] = {
    "USD": 1.0,
    "AUD": 0.66,
    "GBP": 1.27,
    "CAD": 0.74,
    "EUR": 1.08,
    "PHP": 0.0178,
    "THB": 0.028,
    "VND": 0.000040,
    "IDR": 0.000063,
    "MYR": 0.213,
}

#: Institution kinds and the channel their outgoing payments use.
INSTITUTION_KINDS = ("bank", "online_remitter", "cash_pickup_remitter", "wallet")
CHANNELS = ("bank_transfer", "online_remittance", "cash_pickup", "wallet", "card", "crypto")
KIND_CHANNEL = {
    "bank": "bank_transfer",
    "online_remitter": "online_remittance",
    "cash_pickup_remitter": "cash_pickup",
    "wallet": "wallet",
}

# -- names -------------------------------------------------------------------------------------

EN_GIVEN_M = (
    "James",
    "John",
    "Robert",
    "Michael",
    "David",
    "William",
    "Richard",
    "Thomas",
    "Mark",
    "Paul",
    "Steven",
    "Andrew",
    "Peter",
    "Gary",
    "Kevin",
    "Brian",
    "Graham",
    "Ian",
    "Neil",
    "Wayne",
    "Craig",
    "Daniel",
    "Matthew",
    "Christopher",
    "Anthony",
    "Stephen",
    "Geoffrey",
    "Trevor",
    "Colin",
    "Barry",
)
EN_GIVEN_F = (
    "Mary",
    "Patricia",
    "Linda",
    "Susan",
    "Karen",
    "Sarah",
    "Emma",
    "Jessica",
    "Laura",
    "Helen",
    "Rebecca",
    "Claire",
    "Michelle",
    "Amanda",
    "Nicole",
    "Rachel",
    "Julie",
    "Fiona",
    "Kate",
    "Anne",
)
EN_FAMILY = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clarke",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
    "Turner",
    "Parker",
    "Collins",
    "Edwards",
    "Stewart",
    "Morris",
    "Murphy",
    "Cook",
    "Rogers",
    "Morgan",
    "Cooper",
    "Peterson",
    "Reid",
    "Kelly",
    "Howard",
    "Ward",
    "Cox",
    "Richardson",
    "Wood",
    "Watson",
    "Brooks",
    "Bennett",
    "Gray",
    "Hughes",
    "Price",
    "Sanders",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "MacDonald",
    "O'Brien",
    "O'Connor",
    "Fitzgerald",
    "Sullivan",
    "McKenzie",
    "Robertson",
    "Fraser",
)
DE_GIVEN_M = (
    "Thomas",
    "Michael",
    "Andreas",
    "Stefan",
    "Jürgen",
    "Klaus",
    "Uwe",
    "Frank",
    "Matthias",
    "Wolfgang",
    "Bernd",
    "Dieter",
    "Ralf",
    "Markus",
    "Holger",
)
DE_GIVEN_F = (
    "Sabine",
    "Petra",
    "Andrea",
    "Claudia",
    "Monika",
    "Susanne",
    "Birgit",
    "Katrin",
    "Anja",
    "Julia",
)
DE_FAMILY = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
)
PH_GIVEN_F = (
    "Maria",
    "Maria Cristina",
    "Maria Theresa",
    "Ma. Luisa",
    "Ana",
    "Rosario",
    "Cristina",
    "Jennifer",
    "Rowena",
    "Marites",
    "Lorna",
    "Marilou",
    "Rhea",
    "Joy",
    "Mary Grace",
    "Angelica",
    "Kimberly",
    "Princess",
    "Lovely",
    "Jasmine",
    "Aileen",
    "Maricel",
    "Gemma",
    "Divina",
    "Teresita",
    "Corazon",
    "Erlinda",
    "Maribel",
    "Jocelyn",
    "Sheila",
)
PH_GIVEN_M = (
    "Jose",
    "Juan",
    "Mark Anthony",
    "John Paul",
    "Jericho",
    "Rommel",
    "Ramon",
    "Eduardo",
    "Ricardo",
    "Rodel",
    "Arnel",
    "Jonathan",
    "Christian",
    "Reynaldo",
    "Danilo",
    "Ferdinand",
    "Rolando",
    "Noel",
    "Carlo",
    "Joel",
    "Ariel",
    "Jun",
    "Bong",
    "Emmanuel",
    "Francisco",
)
PH_FAMILY = (
    "Dela Cruz",
    "De los Santos",
    "Santos",
    "Reyes",
    "Garcia",
    "Bautista",
    "Mendoza",
    "Villanueva",
    "Ramos",
    "Aquino",
    "Castillo",
    "De Guzman",
    "Del Rosario",
    "Gonzales",
    "Torres",
    "Flores",
    "Rivera",
    "Fernandez",
    "Lopez",
    "Cruz",
    "Soriano",
    "Navarro",
    "Pascual",
    "Mercado",
    "Aguilar",
    "Dizon",
    "Manalo",
    "Salazar",
    "Tolentino",
    "Domingo",
    "De Leon",
    "Dela Paz",
    "San Juan",
    "Macaraeg",
    "Panganiban",
    "Dimaculangan",
    "Magbanua",
    "Villareal",
    "Evangelista",
    "Sison",
    "Lacson",
    "Ocampo",
    "Buenaventura",
    "De Vera",
    "Dela Rosa",
    "Esguerra",
    "Ilagan",
    "Lim",
    "Tan",
)
# Thai, Vietnamese and Indonesian pools are wide enough that two unrelated recipients rarely share
# a full name, as in those populations: Thai surnames are registered per family and unique by law
# (Surname Act, 1913), hence compounds of common elements here; Vietnamese family names are few
# (Nguyen alone is carried by about four in ten) but given names are many. (With 6-8 given and 7-8
# family names per culture, 30-50% of Thai, Vietnamese and Indonesian recipients shared their full
# name with another recipient of a 2,000-sender world.)
TH_GIVEN_F = (
    "Siriporn", "Nattaya", "Kanya", "Pimchanok", "Wanida", "Supaporn", "Malee", "Ratana", "Somsri",
    "Kanokwan", "Chanida", "Wilai", "Patcharee", "Sudarat", "Anong", "Jintana", "Rungnapa",
    "Waraporn", "Nongluck", "Pornthip", "Kulap", "Duangjai", "Arunee", "Thidarat", "Saowalak",
)  # fmt: skip
TH_GIVEN_M = (
    "Somchai", "Anan", "Prasert", "Wichai", "Kittisak", "Sompong", "Somsak", "Surachai", "Boonchu",
    "Chatchai", "Niran", "Pairoj", "Thanakorn", "Weerasak", "Apichart", "Suthep", "Narong", "Sakda",
    "Yuthana", "Pongsak", "Chaiwat", "Teerawat", "Manop", "Sombat", "Kriangsak",
)  # fmt: skip
_TH_SURNAME_HEADS = (
    "Sri", "Wong", "Chaiya", "Boon", "Rattana", "Thong", "Suk", "Kaew", "Phrom", "Inthara", "Suwan",
    "Siri", "Ruang", "Charoen", "Sombat",
)  # fmt: skip
_TH_SURNAME_TAILS = (
    "suk", "sawat", "porn", "mee", "korn", "dee", "wong", "chai", "thong", "rat", "sakul", "wattana",
    "pan", "yot", "siri",
)  # fmt: skip
TH_FAMILY = (
    "Saetang",
    "Saelim",
    "Saeho",
    "Saeung",
    *(h + t for h in _TH_SURNAME_HEADS for t in _TH_SURNAME_TAILS if h.lower() != t),
)
VN_GIVEN_F = (
    "Thi Lan", "Thi Hoa", "Thu Trang", "Ngoc Anh", "Thi Mai", "Bich Ngoc", "Thi Huong", "Thi Thu",
    "Thanh Huyen", "Thi Hang", "Minh Chau", "Thi Nga", "Phuong Linh", "Thi Yen", "Thu Ha",
    "Hong Nhung", "Thi Dung", "Kim Ngan", "Thi Tuyet", "Ngoc Han", "Thanh Tam", "Thi Loan",
    "My Linh", "Thi Phuong", "Bao Ngoc",
)  # fmt: skip
VN_GIVEN_M = (
    "Van Minh", "Duc Anh", "Van Hung", "Quoc Bao", "Minh Tuan", "Van Nam", "Van Thanh", "Duc Thang",
    "Quang Huy", "Van Long", "Thanh Son", "Minh Quan", "Van Hai", "Huu Phuoc", "Trung Kien",
    "Van Dung", "Hoang Long", "Duc Minh", "Van Tuan", "Quoc Cuong", "Thanh Tung", "Van Khoa",
    "Hai Dang", "Van Phuc", "Tien Dat",
)  # fmt: skip
VN_FAMILY = ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang")
ID_GIVEN_F = (
    "Siti", "Dewi", "Putri", "Ayu", "Nur", "Wulan", "Rina", "Sri", "Indah", "Lestari", "Fitri",
    "Ratna", "Yuni", "Kartika", "Melati", "Intan", "Rahayu", "Novi", "Wati", "Lina", "Ani", "Maya",
    "Dian", "Anisa", "Puspita",
)  # fmt: skip
ID_GIVEN_M = (
    "Budi", "Agus", "Eko", "Hendra", "Joko", "Rudi", "Bambang", "Dedi", "Andi", "Rizki", "Fajar",
    "Hadi", "Iwan", "Yusuf", "Ahmad", "Bayu", "Dimas", "Teguh", "Wahyu", "Arif", "Irfan", "Slamet",
    "Gilang", "Adi", "Surya",
)  # fmt: skip
ID_FAMILY = (
    "Santoso", "Wijaya", "Hidayat", "Saputra", "Kurniawan", "Pratama", "Setiawan", "Gunawan",
    "Susanto", "Nugroho", "Wibowo", "Hartono", "Purnomo", "Siregar", "Simanjuntak", "Nasution",
    "Lubis", "Harahap", "Sitompul", "Utomo", "Prasetyo", "Wahyudi", "Firmansyah", "Hasibuan",
    "Sinaga", "Gultom", "Situmorang", "Effendi", "Sulistyo", "Hakim",
)  # fmt: skip

NAME_POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # culture: (given male, given female, family)
    "en": (EN_GIVEN_M, EN_GIVEN_F, EN_FAMILY),
    "de": (DE_GIVEN_M, DE_GIVEN_F, DE_FAMILY),
    "ph": (PH_GIVEN_M, PH_GIVEN_F, PH_FAMILY),
    "th": (TH_GIVEN_M, TH_GIVEN_F, TH_FAMILY),
    "vn": (VN_GIVEN_M, VN_GIVEN_F, VN_FAMILY),
    "id": (ID_GIVEN_M, ID_GIVEN_F, ID_FAMILY),
    "my": (ID_GIVEN_M, ID_GIVEN_F, ID_FAMILY),
}

BUSINESS_WORDS_A = (
    "Brightline",
    "Northwind",
    "Bluegum",
    "Harbourview",
    "Cedar",
    "Summit",
    "Keystone",
    "Redwood",
    "Silverleaf",
    "Ironbark",
    "Lakeshore",
    "Granite",
    "Meridian",
    "Sparrow",
    "Kestrel",
    "Wattle",
)
BUSINESS_WORDS_B = (
    "Digital",
    "Media",
    "Consulting",
    "Logistics",
    "Design",
    "Marketing",
    "Software",
    "Analytics",
    "Studios",
    "Support Services",
    "Commerce",
    "Labs",
)
BUSINESS_SUFFIX = {"AU": "Pty Ltd", "US": "LLC", "GB": "Ltd", "CA": "Inc.", "DE": "GmbH"}

# -- merchants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merchant:
    name: str
    mcc: str
    kind: str  # everyday | vpn | capture | tokens | airline | hotel
    median_usd: float


MERCHANTS: tuple[Merchant, ...] = (
    Merchant("FreshCart Supermarket", "5411", "everyday", 55.0),
    Merchant("Corner Grocer", "5411", "everyday", 22.0),
    Merchant("Metro Fuel", "5541", "everyday", 48.0),
    Merchant("Hearth & Table Restaurant", "5812", "everyday", 45.0),
    Merchant("Bean There Cafe", "5814", "everyday", 9.0),
    Merchant("Everyday Pharmacy", "5912", "everyday", 25.0),
    Merchant("HomeGoods Depot", "5200", "everyday", 70.0),
    Merchant("Citywide Transit", "4111", "everyday", 12.0),
    Merchant("Parcelhub Online Store", "5999", "everyday", 40.0),
    Merchant("StreamBox Subscription", "4899", "everyday", 14.0),
    Merchant("Mobile Plus Telecom", "4814", "everyday", 35.0),
    Merchant("ShieldLine VPN", "4816", "vpn", 9.0),
    Merchant("TunnelBox Privacy", "4816", "vpn", 11.0),
    Merchant("SnapCapture Pro", "5734", "capture", 39.0),
    Merchant("ScreenKeep Recorder", "5734", "capture", 29.0),
    Merchant("StreamStar Coins", "5816", "tokens", 20.0),
    Merchant("LiveHub Credits", "5816", "tokens", 25.0),
    Merchant("Pacific Air", "4511", "airline", 900.0),
    Merchant("Southern Skies Airways", "4511", "airline", 750.0),
    Merchant("Bayview Suites", "7011", "hotel", 90.0),
)
MERCHANT_KINDS = ("everyday", "vpn", "capture", "tokens", "airline", "hotel")

#: Travel destinations: (airport code of destination, country).
DESTINATIONS = (
    ("MNL", "PH"),
    ("CEB", "PH"),
    ("BKK", "TH"),
    ("SGN", "VN"),
    ("DPS", "ID"),
    ("LHR", "GB"),
    ("JFK", "US"),
    ("SYD", "AU"),
    ("YVR", "CA"),
    ("FRA", "DE"),
)
HOME_AIRPORT = {"AU": "SYD", "US": "LAX", "GB": "LHR", "CA": "YYZ", "DE": "FRA"}

# -- memos of legitimate flows (osec memos are profile parameters) ------------------------------

FAMILY_MEMOS = (
    "",
    "",
    "",
    "family support",
    "allowance",
    "for Nanay",
    "monthly",
    "padala",
    "for the house",
    "support",
)
TOPUP_MEMOS = (
    "birthday",
    "school fees",
    "tuition",
    "medical",
    "hospital bill",
    "Christmas",
    "school supplies",
    "gift",
    "fiesta",
    "",
    "uniform",
)
INLAW_MEMOS = ("", "", "for mum and dad", "family support", "allowance", "house repairs")
FREELANCE_MEMOS = (
    "invoice",
    "INV",
    "VA services",
    "design work",
    "consulting fee",
    "monthly retainer",
    "contract payment",
)
PARTNER_MEMOS = ("", "", "", "for you", "rent", "phone load", "groceries", "bills", "for the trip")
FRAUD_MEMOS = (
    "investment",
    "deposit",
    "trading account",
    "fees",
    "withdrawal fee",
    "tax release",
    "",
    "customs fee",
)
