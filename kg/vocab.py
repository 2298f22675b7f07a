"""The hrr ontology namespace, declared once.  ``_fail = True`` makes a misspelt term an error;
``tests/test_ontology.py`` checks this list equals the terms ``ontology/hrr.ttl`` defines."""

from rdflib import URIRef
from rdflib.namespace import DefinedNamespace, Namespace

from .iris import ONTOLOGY


class HRR(DefinedNamespace):
    _NS = Namespace(ONTOLOGY)
    _fail = True

    Abduction: URIRef
    About: URIRef
    AbuseScheme: URIRef
    AbuseType: URIRef
    Action: URIRef
    Actor: URIRef
    Alleged: URIRef
    Appeal: URIRef
    Arrest: URIRef
    Article: URIRef
    AtLeast: URIRef
    Basis: URIRef
    BasisScheme: URIRef
    Beating: URIRef
    Characterisation: URIRef
    Claim: URIRef
    Commitment: URIRef
    Comparator: URIRef
    ComparatorScheme: URIRef
    Condemnation: URIRef
    Count: URIRef
    CuratorInference: URIRef
    DatePrecision: URIRef
    DatePrecisionScheme: URIRef
    Day: URIRef
    Denial: URIRef
    Denied: URIRef
    Detention: URIRef
    DetentionReport: URIRef
    ElectricShockTorture: URIRef
    Event: URIRef
    Exactly: URIRef
    ExtrajudicialExecution: URIRef
    Factuality: URIRef
    FactualityScheme: URIRef
    FewerThan: URIRef
    GovernmentBody: URIRef
    Group: URIRef
    Harassment: URIRef
    HonourKillingIncitement: URIRef
    Hotline: URIRef
    Imprisonment: URIRef
    InMeeting: URIRef
    Interview: URIRef
    Investigation: URIRef
    Issue: URIRef
    Killing: URIRef
    Letter: URIRef
    MediaOrganisation: URIRef
    Medium: URIRef
    MediumScheme: URIRef
    Meeting: URIRef
    Month: URIRef
    MoreThan: URIRef
    Nearly: URIRef
    NewsReport: URIRef
    NonGovernmentalOrganisation: URIRef
    NotOccurred: URIRef
    Occasion: URIRef
    Occurred: URIRef
    Organisation: URIRef
    Outing: URIRef
    Persecution: URIRef
    Person: URIRef
    Petition: URIRef
    Place: URIRef
    Planned: URIRef
    Position: URIRef
    PositionHolding: URIRef
    PressConference: URIRef
    Pressure: URIRef
    PrisonCamp: URIRef
    RaisingOfIssue: URIRef
    Remarks: URIRef
    Report: URIRef
    Requested: URIRef
    Resolution: URIRef
    SourceFile: URIRef
    SpeechAct: URIRef
    StatedInText: URIRef
    Statement: URIRef
    Testimony: URIRef
    Torture: URIRef
    Unknown: URIRef
    UpTo: URIRef
    WrittenStatement: URIRef
    Year: URIRef
    about: URIRef
    abuse: URIRef
    accordingTo: URIRef
    accountOf: URIRef
    addressee: URIRef
    agent: URIRef
    atMeeting: URIRef
    basis: URIRef
    commitsTo: URIRef
    comparator: URIRef
    count: URIRef
    counts: URIRef
    curatorNote: URIRef
    date: URIRef
    dateBasis: URIRef
    dateNote: URIRef
    datePrecision: URIRef
    denies: URIRef
    description: URIRef
    evidence: URIRef
    factuality: URIRef
    holder: URIRef
    holds: URIRef
    inferenceNote: URIRef
    locatedIn: URIRef
    maxValue: URIRef
    medium: URIRef
    member: URIRef
    memberCount: URIRef
    memberOf: URIRef
    minValue: URIRef
    occasion: URIRef
    onBehalfOf: URIRef
    organisation: URIRef
    partOf: URIRef
    participant: URIRef
    perpetrator: URIRef
    place: URIRef
    position: URIRef
    publisherBasis: URIRef
    publisherNote: URIRef
    quotedWords: URIRef
    raisedIssueWith: URIRef
    reportedBy: URIRef
    requestedAction: URIRef
    requestedIn: URIRef
    roleName: URIRef
    sha256: URIRef
    since: URIRef
    sourceFile: URIRef
    speaker: URIRef
    statedIn: URIRef
    subject: URIRef
    supports: URIRef
    titleBasis: URIRef
    titleNote: URIRef
    urgedToRaiseIssueWith: URIRef
    value: URIRef
    victims: URIRef
    wording: URIRef


OA = Namespace("http://www.w3.org/ns/oa#")
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
