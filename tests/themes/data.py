"""Statement sets for the themes tests: three clearly different topics, four statements each."""

PROCUREMENT = [
    "Publish every public contract and its amendments online within a week of signing.",
    "All procurement documents, from tender to payment, should be open to the public.",
    "Government contracts above a small threshold must be published as open data.",
    "Citizens should be able to search every public tender and see who won it.",
]
YOUTH = [
    "Young people should have a guaranteed seat on the national forum.",
    "Schools should teach students how to take part in local decision making.",
    "Youth councils in every city would bring young voices into policy.",
    "Lower the voting age to sixteen so teenagers can shape local decisions.",
]
CLIMATE = [
    "Publish open data on greenhouse gas emissions for every region.",
    "Climate finance spending should be reported publicly every year.",
    "Communities must be consulted before new coal mines or pipelines are approved.",
    "The government should set a binding target for cutting carbon emissions.",
]
NEW_YOUTH = [
    "Student unions should be invited to every consultation on education.",
    "A youth advisory board should review each national commitment.",
]
