"""Word lists the demo city draws its names from (fixed order, so a seed gives the same city)."""

from __future__ import annotations

FIRST_NAMES = (
    "Aaliyah", "Aarav", "Adam", "Aisha", "Alfie", "Amara", "Amelia", "Amir", "Ava", "Ayaan",
    "Bella", "Ben", "Bilal", "Caleb", "Charlie", "Chloe", "Daniel", "Deja", "Dylan", "Eden",
    "Elijah", "Ella", "Emily", "Erin", "Ethan", "Evie", "Faith", "Fatima", "Finley", "Freya",
    "George", "Grace", "Hamza", "Hannah", "Harper", "Harry", "Hassan", "Ibrahim", "Isaac",
    "Isla", "Jack", "Jacob", "Jaden", "Jasmine", "Jayden", "Joshua", "Kai", "Kayden", "Layla",
    "Leo", "Lily", "Logan", "Lucas", "Maisie", "Maryam", "Mason", "Mia", "Mohammed", "Muhammad",
    "Musa", "Nathan", "Noah", "Nia", "Olivia", "Omar", "Oscar", "Poppy", "Priya", "Reuben",
    "Riley", "Rosie", "Ruby", "Safa", "Samuel", "Sana", "Scarlett", "Sienna", "Sofia", "Sophie",
    "Tariq", "Theo", "Thomas", "Tyler", "Yusuf", "Zainab", "Zara", "Zayn", "Imran", "Kiran",
    "Leah", "Marcus", "Nadia", "Patrick", "Rhys", "Shanice", "Tomasz", "Wiktoria", "Zofia",
)

LAST_NAMES = (
    "Ahmed", "Akhtar", "Ali", "Allen", "Anderson", "Bailey", "Baker", "Begum", "Bell", "Bibi",
    "Brown", "Campbell", "Clarke", "Collins", "Cooper", "Davies", "Edwards", "Evans", "Francis",
    "Grant", "Green", "Griffiths", "Hall", "Harris", "Hill", "Hughes", "Hussain", "Iqbal",
    "Jackson", "James", "Johnson", "Jones", "Kaur", "Khan", "King", "Kowalski", "Lewis",
    "Mahmood", "Martin", "Mensah", "Miah", "Mitchell", "Moore", "Morgan", "Morris", "Murphy",
    "Nowak", "Okafor", "Owen", "Parker", "Patel", "Phillips", "Price", "Rahman", "Reid",
    "Richards", "Roberts", "Robinson", "Sandhu", "Scott", "Shah", "Sharma", "Singh", "Smith",
    "Stewart", "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Ward", "Watson", "White",
    "Williams", "Wilson", "Wood", "Wright", "Young", "Yusuf", "Zaman",
)

SCHOOL_WORDS = (
    "Oakfield", "Hillcrest", "Beaufort", "Brookfields", "Calthorpe", "Cherry Oak", "Dame Ellen",
    "Fox Hollies", "Hallmoor", "Hamilton", "Langley", "Lindsworth", "Mayfield", "Baskerville",
    "Priestley Smith", "Queensbury", "Selly Oak", "Springfield", "Uffculme", "Victoria",
    "Wilson Stuart", "Bosworth", "Elmhurst", "Greenholm", "Kingsfield", "Larchwood", "Meadowbank",
    "Northfield", "Parkfield", "Ravenscroft", "Redhill", "Rosewood", "Shenley", "Silverbirch",
    "Stockland", "Thornbury", "Westbourne", "Willowbrook", "Woodlands", "Ashfield", "Birchwood",
    "Castle Vale", "Edgbaston", "Glebe Farm", "Harborne", "Highfield", "Kings Norton", "Lodge Park",
    "Moseley", "Perry Beeches", "Quinton", "Sheldon", "Stechford", "Tile Cross", "Weoley Castle",
    "Yardley Wood", "Acocks Green", "Bordesley", "Cotteridge", "Hodge Hill",
)

#: School name endings by phase; the phase also sets the pupils' ages.
SCHOOL_SUFFIXES = {
    "primary": ("Primary School", "Primary Resource Base", "Infant and Junior School",
                "Primary Academy"),
    "secondary": ("Academy", "School", "Specialist College", "Secondary Resource Base",
                  "High School"),
    "all_through": ("School", "Special School", "Learning Centre", "Academy"),
}

STREET_WORDS = (
    "Alcester", "Bristol", "Coventry", "Church", "Station", "Victoria", "Park", "Moor Green",
    "Warwick", "Stratford", "Pershore", "Hagley", "College", "Chester", "Oak Tree", "Wake Green",
    "Kingsbury", "Fordhouse", "Lordswood", "Gravelly", "Bell", "Gospel", "Yew Tree", "Mill",
    "Holly", "Cherry", "Beech", "Elm", "Sycamore", "Willow", "Jasmine", "Lavender", "Primrose",
    "Stanmore", "Hamstead", "Walsall", "Soho", "Lodge", "Green", "Hillside",
)
STREET_KINDS = ("Road", "Street", "Lane", "Avenue", "Close", "Grove", "Drive", "Crescent", "Way")

OPERATOR_FIRST = (
    "Midland", "Brum", "Central", "City", "Heart of England", "Five Ways", "Bullring", "Canal",
    "Edgbaston", "Moseley", "Aston", "Erdington", "Selly Oak", "Harborne", "Kings Heath",
    "Sutton", "Solihull", "Black Country", "Lickey", "Tame Valley", "Rea Valley", "Cole Valley",
    "Westside", "Eastside", "Northern", "Southern", "Premier", "Ace", "Apex", "Swift",
    "Reliance", "Unity", "Sapphire", "Emerald", "Crown", "Star", "Arrow", "Kestrel", "Falcon",
    "Lion", "Phoenix", "Rose", "Oak",
)
OPERATOR_SECOND = ("Cars", "Taxis", "Travel", "Private Hire", "Transport", "Coaches", "Minibuses",
                   "Executive Cars", "Community Transport", "Passenger Services")
OPERATOR_FORMS = ("Ltd", "Ltd", "Ltd", "Limited", "& Co Ltd", "Group Ltd")

#: Three-letter endings of registrations avoid I, Q and Z, as the DVLA does.
PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
#: Area codes of the West Midlands and a few neighbours.
PLATE_AREAS = ("BD", "BF", "BJ", "BK", "BL", "BN", "BP", "BT", "BU", "BV", "BW", "BX", "BY",
               "BA", "BC", "BE", "BG", "BH", "BM", "BO", "BR", "BS")
PLATE_AGES = ("17", "67", "18", "68", "19", "69", "20", "70", "21", "71", "22", "72", "23", "73",
              "24", "74", "25", "75")

#: Postcode inward letters never use C, I, K, M, O or V.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
