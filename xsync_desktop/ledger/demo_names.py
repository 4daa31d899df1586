"""Word lists for the demo ledger: a New Zealand mix of names, streets and suburbs."""

from __future__ import annotations

FIRST_NAMES = (
    "Aroha", "Mere", "Tama", "Wiremu", "Hemi", "Anahera", "Ngaio", "Rangi", "Kahu", "Manaia",
    "Olivia", "Charlotte", "Isla", "Amelia", "Harper", "Mia", "Ava", "Sophie", "Grace", "Ruby",
    "Jack", "Oliver", "Noah", "Leo", "George", "Lucas", "William", "James", "Hunter", "Mason",
    "Priya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki", "Ji-woo", "Min-jun", "Sione", "Losa",
    "Tevita", "Mele", "Sina", "Fetu", "Siosaia", "Ana", "Liam", "Ella", "Zoe", "Finn",
    "Hannah", "Sam", "Kate", "Ben", "Rose", "Tom", "Emma", "Daniel", "Sarah", "Michael",
    "Aisha", "Omar", "Fatima", "Ravi", "Deepa", "Carlos", "Lucia", "Pieter", "Anke", "Niamh",
)
LAST_NAMES = (
    "Ngata", "Parata", "Tane", "Walker", "Smith", "Williams", "Brown", "Wilson", "Taylor", "Jones",
    "Thompson", "Anderson", "Campbell", "Stewart", "Robertson", "Harris", "Clarke", "Young", "King", "Wright",
    "Patel", "Singh", "Sharma", "Chen", "Wang", "Li", "Zhang", "Kim", "Park", "Nguyen",
    "Tuilagi", "Fifita", "Vaifale", "Leota", "Faleolo", "Tupou", "Hohaia", "Horomona", "Te Rangi", "Marsh",
    "O'Connor", "Murphy", "Kelly", "McDonald", "Fraser", "Reid", "Ross", "Scott", "Morrison", "Hughes",
    "van der Berg", "de Vries", "Jansen", "Müller", "Schmidt", "Rossi", "Silva", "Santos", "Khan", "Ali",
)
TRADES = (
    "Removals", "Plumbing", "Electrical", "Builders", "Landscaping", "Catering", "Events",
    "Joinery", "Painters", "Retail", "Imports", "Design",
)
STREETS = (
    "Tory Street", "Cuba Street", "Adelaide Road", "Riddiford Street", "High Street", "Jackson Street",
    "Victoria Street", "Queen Street", "Dominion Road", "Great North Road", "Karangahape Road",
    "Willis Street", "Taranaki Street", "Main Road", "Kent Terrace", "Ponsonby Road", "Oriental Parade",
)
# Each facility's neighbourhood: (suburb, city, postcode)
AREAS = {
    "wellington": (("Te Aro", "Wellington", "6011"), ("Newtown", "Wellington", "6021"),
                   ("Kilbirnie", "Wellington", "6022"), ("Thorndon", "Wellington", "6011")),
    "hutt": (("Petone", "Lower Hutt", "5012"), ("Waterloo", "Lower Hutt", "5011"),
             ("Naenae", "Lower Hutt", "5011"), ("Wainuiomata", "Lower Hutt", "5014")),
    "auckland": (("Albany", "Auckland", "0632"), ("Takapuna", "Auckland", "0622"),
                 ("Glenfield", "Auckland", "0629"), ("Devonport", "Auckland", "0624")),
}
