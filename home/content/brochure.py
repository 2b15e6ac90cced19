"""The portal's initial content, from Fing's partner brochure « Questions Numériques 2016/2017 –
Think Small » (/work/shared/seed/questions-numeriques-think-small-2016-2017.txt at the time of
writing), in French and in English.

Nothing here is invented and presented as fact: the past editions carry only what the brochure
says of them (their name, their years, that they came before Think Small), and where a page needs
a detail the brochure does not give (the host of the site), the text says it is to be completed.
The brochure's obvious slips are corrected (« aliénéation », « Rennes2 », capitals without accents)
and its typography normalised (typographic apostrophes, « » in French, “ ” in English).

Edition names: the English pages translate the names that have an English equivalent
(Ruptures → Disruptions, Promesses → Promises, Controverses → Controversies) and give the French
name in their introduction; Tensions, Transitions and Think Small read the same in both languages.
The programme's name, Questions Numériques, is a proper name and stays in French.

`PAGES` is in tree order: a page's parent always comes before it. `PRICES` are the partnership
prices the brochure gives (« Conditions du partenariat »), set on the French edition page.
`CONTACTS` are the brochure's two contacts, who receive visitors' enquiries as `ROUTES` says.
"""

import datetime

from .spec import ContactSpec, PageSpec, PriceSpec, Ref, Rich, RouteSpec, Text, page_link, same

HOME = "qn:home"
EDITIONS = "qn:editions"
THINK_SMALL = "qn:edition:think-small"
THINK_SMALL_OFFER = "qn:offer:think-small"
TEAM = "qn:team"
CONTACT_PAGE = "qn:contact"

FING_URL = "http://www.fing.org"
INTERNETACTU_URL = "http://www.internetactu.net"

# Phase 1 of Think Small opened in May 2016; the brochure gives no publication date for the
# texts the two articles are drawn from, so they are dated from the opening of that phase.
ARTICLE_DATE = datetime.date(2016, 5, 1)


def _heading(fr, en, level="h2"):
    return ("heading", {"text": Text(fr, en), "level": level})


def _past_edition(key, slug, title, start_year, end_year=None):
    """A previous edition: the brochure gives its name and years, nothing more."""
    years = f"{start_year}-{end_year}" if end_year else str(start_year)
    if title.fr == title.en:
        english_name = f"{title.en} ({years})"
    else:
        english_name = f"{title.en} ({years}), “{title.fr}” in French,"
    return PageSpec(
        key=key,
        model="editions.EditionPage",
        parent=EDITIONS,
        fields={
            "title": title,
            "slug": slug,
            "start_year": start_year,
            "end_year": end_year,
            "introduction": Text(
                f"{title.fr} ({years}) est l’une des éditions précédentes de Questions "
                "Numériques, le cycle annuel de prospective créative de la Fing.",
                f"{english_name} is one of the earlier editions of Questions Numériques, "
                "Fing’s yearly cycle of creative foresight.",
            ),
        },
    )


SMALL_SCALE_SUBJECTS = [
    Text("l’individu", "the individual"),
    Text("le local", "the local"),
    Text("la communauté", "the community"),
    Text("la PME qui ne deviendra pas géante…", "the small business that will never be a giant…"),
]

BIG_PLAYERS = [
    Text("les institutions", "institutions"),
    Text("les méga-entreprises", "mega-corporations"),
    Text("les mégapoles", "megacities"),
    Text("les réseaux centralisés…", "centralised networks…"),
]

CHALLENGES = [
    Text(
        "Des grandes entreprises qui voudraient fonctionner comme les petites",
        "Large companies that would like to work like small ones",
    ),
    Text(
        "Des « petits » qui se heurtent au plafond de verre",
        "“Small” players who hit the glass ceiling",
    ),
    Text(
        "Des grands projets qui se voudraient agiles et modulaires",
        "Large projects that would like to be agile and modular",
    ),
    Text(
        "Des innovations qui cherchent à passer à l’échelle",
        "Innovations trying to scale up",
    ),
    Text(
        "D’autres qui parient sur l’ouverture et les réseaux pour ne surtout pas grandir",
        "Others betting on openness and networks precisely so as not to grow",
    ),
    Text(
        "Des plateformes qui s’interrogent sur leur modèle",
        "Platforms questioning their own model",
    ),
    Text(
        "Des disrupteurs qui se rêvent en géants de demain, et des disruptés qui se demandent "
        "comment répondre",
        "Disruptors who dream of becoming tomorrow’s giants, and the disrupted wondering how "
        "to respond",
    ),
    Text(
        "Des territoires qui se demandent comment articuler les échelles",
        "Regions wondering how to fit the different scales together",
    ),
    Text(
        "Un État qui se demande s’il n’est pas définitivement trop gros pour se transformer, "
        "ou trop petit à l’échelle mondiale",
        "A State wondering whether it is simply too big to transform itself, or too small on "
        "the world stage",
    ),
    Text(
        "Des communautés qui veulent à la fois leur autonomie et ne pas faire la voiture-balai "
        "de l’État",
        "Communities that want their autonomy without having to pick up whatever the State "
        "leaves behind",
    ),
    Text(
        "Des individus qui se pensent à la fois empowered et trop seuls",
        "Individuals who feel both empowered and too alone",
    ),
    Text(
        "Des technologies « big » ou « smart » qui cherchent la bonne échelle…",
        "“Big” or “smart” technologies looking for the right scale…",
    ),
]

SMALL_SCALE_QUESTION = Text(
    "Que reste-t-il pour la petite échelle ?", "What is left for the small scale?"
)
BIG_PLAYERS_QUESTION = Text("Que reste-t-il pour les grands ?", "What is left for the big players?")
CHALLENGES_QUESTION = Text("Et vous, quels sont vos défis ?", "And you: what are your challenges?")

PAGES = [
    PageSpec(
        key=HOME,
        model="home.HomePage",
        parent=None,
        fields={
            "title": same("Questions Numériques"),
            "slug": Text("accueil", "home"),
            "tagline": Text(
                "Prendre le temps d’anticiper ensemble, un cycle de prospective créative",
                "Taking the time to anticipate together: a cycle of creative foresight",
            ),
            "framing_question": Text(
                "À l’intersection des innovations techniques, des mutations économiques et des "
                "transformations sociales, quelles grandes « questions numériques » marqueront "
                "les années à venir ? Quelles émergences, quelles opportunités transformatrices, "
                "quelles ruptures faut-il anticiper ?",
                "Where technical innovation, economic change and social transformation meet, "
                "which big “digital questions” will shape the years ahead? What is emerging, "
                "which opportunities could transform us, which disruptions should we "
                "anticipate?",
            ),
            "introduction": Text(
                "Depuis 2010, la Fing anime une démarche annuelle, collective et créative, qui "
                "convie décideurs & innovateurs à chercher et à formuler ensemble « les questions "
                "numériques » des années à venir – et à imaginer les manières d’y répondre !",
                "Since 2010, Fing has been running a yearly, collective and creative process "
                "that invites decision-makers and innovators to seek out and put into words, "
                "together, the “digital questions” of the years ahead – and to imagine ways of "
                "answering them!",
            ),
            "benefits_heading": Text(
                "L’apport d’une démarche prospective", "What a foresight process brings"
            ),
            "benefits": [
                (
                    "benefit",
                    {
                        "text": Text(
                            "Faire sauter les barrières entre spécialités, statuts, etc.",
                            "Breaking down the barriers between specialisms, positions and "
                            "the like",
                        )
                    },
                ),
                (
                    "benefit",
                    {
                        "text": Text(
                            "Anticiper les changements de modèles",
                            "Anticipating changes of model",
                        )
                    },
                ),
                (
                    "benefit",
                    {
                        "text": Text(
                            "Éclairer les chemins du changement",
                            "Shedding light on the paths to change",
                        )
                    },
                ),
                (
                    "benefit",
                    {
                        "text": Text(
                            "Imaginer des stratégies alternatives",
                            "Imagining alternative strategies",
                        )
                    },
                ),
            ],
            "eras": [
                (
                    "era",
                    {
                        "heading": Text("À l’heure…", "In the age of…"),
                        "trends": [
                            Text("du Big Data", "Big Data"),
                            Text("des Smart Cities", "smart cities"),
                            Text("du « Winner Takes All »…", "“winner takes all”…"),
                        ],
                        "question": SMALL_SCALE_QUESTION,
                        "subjects": SMALL_SCALE_SUBJECTS,
                    },
                ),
                (
                    "era",
                    {
                        "heading": Text("À l’heure…", "In the age of…"),
                        "trends": [
                            Text(
                                "des startups « lean » et « disruptives »",
                                "“lean” and “disruptive” start-ups",
                            ),
                            Text("du pair à pair et du blockchain", "peer-to-peer and blockchain"),
                            Text(
                                "des fab labs et du matériel « libre »",
                                "fab labs and “open” hardware",
                            ),
                            Text(
                                "des pétitions à 1 million de signataires",
                                "petitions with a million signatures",
                            ),
                            Text("de l’internet de l’énergie", "the internet of energy"),
                            Text(
                                "des bio- et nano-technologies…",
                                "bio- and nanotechnologies…",
                            ),
                        ],
                        "question": BIG_PLAYERS_QUESTION,
                        "subjects": BIG_PLAYERS,
                    },
                ),
            ],
            "motto": same("Think Big, Act Small, Learn Fast"),
            "motto_body": [
                (
                    "paragraph",
                    Rich(
                        Text(
                            "La numérisation a mis le monde dans notre poche. Elle transforme "
                            "les jeux d’acteurs en déstabilisant les géants, en faisant place à "
                            "des innovateurs inconnus la veille, en distribuant des moyens "
                            "d’expression et d’action à des millions d’individus.",
                            "Digitisation has put the world in our pocket. It is reshaping who "
                            "plays which part: it unsettles the giants, makes room for "
                            "innovators nobody had heard of the day before, and hands millions "
                            "of people the means to speak out and to act.",
                        ),
                        Text(
                            "Son potentiel démultiplicateur permet à des projets de franchir "
                            "très rapidement des échelles.",
                            "Its multiplying power lets projects move up through the scales "
                            "very quickly.",
                        ),
                        Text(
                            "Face aux difficultés d’un monde complexe, il semble souvent plus "
                            "facile de concevoir des réponses décentralisées mais articulées "
                            "entre elles, que de faire bouger les grands systèmes.",
                            "Faced with the difficulties of a complex world, it often seems "
                            "easier to design decentralised answers that fit together than to "
                            "get the big systems moving.",
                        ),
                        Text(
                            "On connaît bien la puissance et les limites du « Big » : pour ce "
                            "cycle Questions Numériques, nous proposons de nous intéresser à "
                            "celles du « Small ».",
                            "The power and the limits of “Big” are well known: for this "
                            "Questions Numériques cycle, we propose to look at those of "
                            "“Small”.",
                        ),
                    ),
                ),
            ],
            "featured_edition": Ref(THINK_SMALL),
        },
    ),
    PageSpec(
        key=EDITIONS,
        model="editions.EditionIndexPage",
        parent=HOME,
        fields={
            "title": Text("Les éditions", "Editions"),
            "slug": Text("editions", "editions"),
            "show_in_menus": True,
            "introduction": Text(
                "Questions Numériques est le cycle annuel de prospective créative que la Fing "
                "anime depuis 2010. Voici ses éditions, de la plus récente à la plus ancienne.",
                "Questions Numériques is the yearly cycle of creative foresight that Fing has "
                "been running since 2010. Here are its editions, from the most recent to the "
                "oldest.",
            ),
        },
    ),
    _past_edition("qn:edition:tensions", Text("tensions", "tensions"), same("Tensions"), 2011),
    _past_edition(
        "qn:edition:ruptures",
        Text("ruptures", "disruptions"),
        Text("Ruptures", "Disruptions"),
        2012,
    ),
    _past_edition(
        "qn:edition:promesses", Text("promesses", "promises"), Text("Promesses", "Promises"), 2013
    ),
    _past_edition(
        "qn:edition:controverses",
        Text("controverses", "controversies"),
        Text("Controverses", "Controversies"),
        2014,
    ),
    _past_edition(
        "qn:edition:transitions",
        Text("transitions", "transitions"),
        same("Transitions"),
        2015,
        2016,
    ),
    PageSpec(
        key=THINK_SMALL,
        model="editions.EditionPage",
        parent=EDITIONS,
        fields={
            "title": same("Think Small"),
            "slug": Text("think-small", "think-small"),
            "start_year": 2016,
            "end_year": 2017,
            "theme": Text(
                "Prendre au sérieux la puissance transformatrice de la petite échelle",
                "Taking the transformative power of the small scale seriously",
            ),
            "introduction": Text(
                "Le cycle 2016-2017 de Questions Numériques s’intéresse à la puissance et aux "
                "limites du « Small » : ce que peuvent l’individu, le local, la communauté ou la "
                "PME à l’heure du numérique, et ce qu’il reste aux grands.",
                "The 2016-2017 Questions Numériques cycle looks at the power and the limits of "
                "“Small”: what individuals, local players, communities and small businesses can "
                "do in the digital age, and what is left for the big ones.",
            ),
            "body": [
                _heading(
                    "Un processus collectif d’apprentissage et de transformation",
                    "A collective process of learning and transformation",
                ),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "De mai 2016 à avril 2017, le cycle avance en trois temps : partager "
                            "une culture commune, transformer et se transformer à partir de la "
                            "petite échelle, puis produire une publication et des outils "
                            "réutilisables, au service de votre réflexion prospective pour "
                            "nourrir vos propres démarches stratégiques.",
                            "From May 2016 to April 2017, the cycle moves forward in three "
                            "stages: sharing a common culture, transforming things and "
                            "ourselves from the small scale, then producing a publication and "
                            "reusable tools that support your own foresight thinking and feed "
                            "into your strategic processes.",
                        ),
                    ),
                ),
                _heading("Devenir partenaire", "Becoming a partner"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Votre organisation peut prendre part à Think Small en devenant "
                            f"partenaire du cycle. {page_link(THINK_SMALL_OFFER, 'Notre offre')} "
                            "présente ce que nous engagerons ensemble, la charge de travail à "
                            "prévoir et les conditions du partenariat.",
                            "Your organisation can take part in Think Small by becoming a "
                            "partner of the cycle. "
                            f"{page_link(THINK_SMALL_OFFER, 'Our partnership offer')} sets out "
                            "what we will undertake together, the time to set aside and the "
                            "terms of partnership.",
                        ),
                    ),
                ),
            ],
            "timeline": [
                (
                    "phase",
                    {
                        "title": Text("Partager une culture commune", "Sharing a common culture"),
                        "period": Text("Mai – septembre 2016", "May – September 2016"),
                        "start_date": datetime.date(2016, 5, 1),
                        "end_date": datetime.date(2016, 9, 30),
                        "aims": Text(
                            "Caractéristiques réelles ou fantasmées de la « petite échelle », "
                            "son « expérience », sa présence et sa vigueur, ce qui change "
                            "aujourd’hui…",
                            "The real or imagined features of the “small scale”, what it is "
                            "like to experience it, where it is present and how strong it is, "
                            "what is changing today…",
                        ),
                        "formats": [
                            Text("Corpus de référence", "Reference corpus"),
                            Text("Interviews d’experts", "Expert interviews"),
                            Text("Rencontres thématiques", "Themed meetings"),
                        ],
                    },
                ),
                (
                    "phase",
                    {
                        "title": Text(
                            "Transformer, se transformer à partir de la petite échelle",
                            "Transforming, and transforming ourselves, from the small scale",
                        ),
                        "period": Text("Septembre – novembre 2016", "September – November 2016"),
                        "start_date": datetime.date(2016, 9, 1),
                        "end_date": datetime.date(2016, 11, 30),
                        "aims": Text(
                            "Lien du « petit » au « grand », puissance transformatrice de la "
                            "petite taille, traiter les « grands problèmes » à partir de la "
                            "petite échelle…",
                            "How “small” connects to “big”, the transformative power of small "
                            "size, tackling “big problems” from the small scale…",
                        ),
                        "formats": [
                            Text(
                                "Parcours apprenant en ligne, en mode « classe inversée »",
                                "Online learning path, run as a “flipped classroom”",
                            ),
                            Text(
                                "Séminaire national de coproduction",
                                "National co-production seminar",
                            ),
                            Text("Ateliers partenaires", "Partner workshops"),
                        ],
                    },
                ),
                (
                    "phase",
                    {
                        "title": Text(
                            "Produire une publication et des outils réutilisables",
                            "Producing a publication and reusable tools",
                        ),
                        "period": Text("Décembre 2016 – avril 2017", "December 2016 – April 2017"),
                        "start_date": datetime.date(2016, 12, 1),
                        "end_date": datetime.date(2017, 4, 30),
                        "aims": Text(
                            "Matière prospective au service de la réflexion stratégique.",
                            "Foresight material to support strategic thinking.",
                        ),
                        "formats": [
                            Text("Cahier d’enjeux", "Issues paper"),
                            Text("Fiches et outils méthodologiques", "Method sheets and tools"),
                            Text("Séminaires d’application", "Seminars to put it into practice"),
                        ],
                    },
                ),
            ],
            # No document is attached: none has been published yet.
            "deliverables": [
                (
                    "deliverable",
                    {
                        "kind": "cahier",
                        "title": Text("Cahier d’enjeux", "Issues paper"),
                        "description": Text(
                            "La publication du cycle : sa matière prospective, au service de la "
                            "réflexion stratégique.",
                            "The cycle’s publication: its foresight material, to support "
                            "strategic thinking.",
                        ),
                    },
                ),
                (
                    "deliverable",
                    {
                        "kind": "fiches",
                        "title": Text(
                            "Fiches et outils méthodologiques", "Method sheets and tools"
                        ),
                        "description": Text(
                            "Des outils réutilisables pour nourrir vos propres démarches "
                            "stratégiques.",
                            "Reusable tools to feed into your own strategic processes.",
                        ),
                    },
                ),
                (
                    "deliverable",
                    {
                        "kind": "seminaire",
                        "title": Text(
                            "Séminaires d’application", "Seminars to put it into practice"
                        ),
                        "description": Text(
                            "Pour mettre la matière du cycle au service de votre réflexion "
                            "prospective.",
                            "To put the cycle’s material to work in your own foresight thinking.",
                        ),
                    },
                ),
            ],
            "questions": [
                ("question", {"question": SMALL_SCALE_QUESTION, "details": SMALL_SCALE_SUBJECTS}),
                ("question", {"question": BIG_PLAYERS_QUESTION, "details": BIG_PLAYERS}),
                ("question", {"question": CHALLENGES_QUESTION, "details": CHALLENGES}),
            ],
        },
    ),
    PageSpec(
        key=THINK_SMALL_OFFER,
        model="membership.PartnershipOfferPage",
        parent=THINK_SMALL,
        fields={
            "title": Text("Devenir partenaire", "Becoming a partner"),
            "slug": Text("devenir-partenaire", "become-a-partner"),
            "show_in_menus": False,
            "introduction": Text(
                "Voulez-vous faire partie de ceux par qui le changement arrive ? Vous sentez-vous "
                "co-responsable de l’avenir ?",
                "Do you want to be among those who bring change about? Do you feel that the "
                "future is partly your responsibility?",
            ),
            "what_we_do": [
                (
                    "item",
                    Text(
                        "Nous préparerons le séminaire de production nationale avec vous",
                        "We will prepare the national production seminar with you",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Nous mettrons le parcours apprenant spécial partenaire à la disposition "
                        "de vos équipes",
                        "We will open the partners’ learning path to your teams",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Nous organiserons un rendez-vous de confrontation avec vos équipes",
                        "We will hold a session with your teams to test the ideas against their "
                        "experience",
                    ),
                ),
            ],
            "workload": [
                (
                    "commitment",
                    {
                        "item": Text("Comité de pilotage", "Steering committee"),
                        "workload": Text(
                            "3 demi-journées (juin, octobre, février)",
                            "3 half-days (June, October, February)",
                        ),
                    },
                ),
                (
                    "commitment",
                    {
                        "item": Text("Séminaire national", "National seminar"),
                        "workload": Text("1 journée", "1 day"),
                    },
                ),
                (
                    "commitment",
                    {
                        "item": Text("Parcours apprenant", "Learning path"),
                        "workload": Text(
                            "1 journée (temps réparti)", "1 day, spread over the cycle"
                        ),
                    },
                ),
                (
                    "commitment",
                    {
                        "item": Text("Rendez-vous interne", "In-house session"),
                        "workload": Text("½ journée", "½ day"),
                    },
                ),
            ],
            "benefits": [
                (
                    "item",
                    Text(
                        "Le séminaire national de production, préparé avec vous",
                        "The national production seminar, prepared with you",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Le parcours apprenant spécial partenaire, à la disposition de vos équipes",
                        "The partners’ learning path, open to your teams",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Un rendez-vous de confrontation avec vos équipes",
                        "A session with your teams to test the ideas against their experience",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Le cahier d’enjeux, la publication du cycle : sa matière prospective, au "
                        "service de votre réflexion stratégique",
                        "The issues paper, the cycle’s publication: its foresight material, to "
                        "support your strategic thinking",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Des fiches et outils méthodologiques réutilisables, pour nourrir vos "
                        "propres démarches stratégiques",
                        "Reusable method sheets and tools, to feed into your own strategic "
                        "processes",
                    ),
                ),
                (
                    "item",
                    Text(
                        "Des séminaires d’application, au service de votre réflexion prospective",
                        "Seminars to put it into practice, in support of your own foresight "
                        "thinking",
                    ),
                ),
            ],
            "conditions": Rich(
                Text(
                    "Le partenariat du cycle Think Small coûte, par organisation partenaire :",
                    "A partnership in the Think Small cycle costs, per partner organisation:",
                ),
                [
                    Text("Adhérent Fing : 20 000 €", "Fing members: €20,000"),
                    Text("Non adhérent Fing : 25 000 €", "Non-members: €25,000"),
                ],
                Text(
                    "Le tarif adhérent s’applique aux organisations dont l’adhésion à la Fing "
                    "est à jour.",
                    "The member price applies to organisations whose Fing membership is current.",
                ),
                Text(
                    "Contact partenariats : Cécile Christodoulou, "
                    '<a href="mailto:cch@fing.org">cch@fing.org</a><br/>'
                    "Contact projet : Sophie Mahéo, "
                    '<a href="mailto:smaheo@fing.org">smaheo@fing.org</a>',
                    "Partnerships contact: Cécile Christodoulou, "
                    '<a href="mailto:cch@fing.org">cch@fing.org</a><br/>'
                    "Project contact: Sophie Mahéo, "
                    '<a href="mailto:smaheo@fing.org">smaheo@fing.org</a>',
                ),
            ),
        },
    ),
    PageSpec(
        key="qn:article:des-acteurs-qui-se-questionnent",
        model="editions.ArticlePage",
        parent=THINK_SMALL,
        tags=("petite échelle", "prospective"),
        fields={
            "title": Text("Des acteurs qui se questionnent", "Stakeholders questioning themselves"),
            "slug": Text("des-acteurs-qui-se-questionnent", "stakeholders-questioning-themselves"),
            "date": ARTICLE_DATE,
            "introduction": Text(
                "Grandes entreprises, « petits », plateformes, territoires, État, communautés, "
                "individus : à l’heure du numérique, chacun s’interroge sur la bonne échelle.",
                "Large companies, “small” players, platforms, regions, the State, communities, "
                "individuals: in the digital age, everyone is wondering what the right scale is.",
            ),
            "body": [
                ("list", {"heading": CHALLENGES_QUESTION, "items": CHALLENGES}),
            ],
        },
    ),
    PageSpec(
        key="qn:article:la-puissance-transformatrice-de-la-petite-echelle",
        model="editions.ArticlePage",
        parent=THINK_SMALL,
        tags=("petite échelle", "prospective"),
        fields={
            "title": Text(
                "La puissance transformatrice de la petite échelle",
                "The transformative power of the small scale",
            ),
            "slug": Text(
                "la-puissance-transformatrice-de-la-petite-echelle",
                "the-transformative-power-of-the-small-scale",
            ),
            "date": ARTICLE_DATE,
            "introduction": Text(
                "Être petit, agir à la petite échelle : un état d’esprit, des propriétés "
                "particulières, une force propre, et un rapport singulier au « Big ».",
                "Being small, acting at a small scale: a state of mind, particular properties, "
                "a strength of its own, and a singular relationship with “Big”.",
            ),
            "body": [
                _heading("Être petit", "Being small"),
                (
                    "list",
                    {
                        "items": [
                            Text(
                                "Est un état d’esprit, une manière d’agir (Seth Godin, "
                                "« Small is the New Big »)",
                                "Is a state of mind, a way of acting (Seth Godin, "
                                "“Small Is the New Big”)",
                            ),
                            Text(
                                "Est la condition pour vouloir changer le monde, plutôt que "
                                "s’y adapter",
                                "Is what it takes to want to change the world rather than "
                                "adapt to it",
                            ),
                            Text(
                                "Invite à s’allier aux autres, plutôt qu’à les dominer",
                                "Invites us to ally with others rather than dominate them",
                            ),
                            Text(
                                "Ne précède pas forcément « devenir grand »",
                                "Does not necessarily come before “becoming big”",
                            ),
                        ],
                    },
                ),
                _heading("À la petite échelle", "At the small scale"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Les matériaux comme les organisations ont des propriétés "
                            "différentes de celles de la grande échelle.",
                            "Materials and organisations alike behave differently from how "
                            "they do at the large scale.",
                        ),
                        Text(
                            "Des questions particulières se posent : diversité, résilience, "
                            "empowerment, solitude…",
                            "Particular questions arise: diversity, resilience, empowerment, "
                            "isolation…",
                        ),
                    ),
                ),
                _heading("La force de la petite échelle", "The strength of the small scale"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Modularité, agilité, rapidité, proximité, réseaux, communautés…",
                            "Modularity, agility, speed, proximity, networks, communities…",
                        ),
                    ),
                ),
                _heading("Le « small » face au « big »", "“Small” versus “big”"),
                (
                    "list",
                    {
                        "items": [
                            Text(
                                "Asymétrie, domination, aliénation, résistance",
                                "Asymmetry, domination, alienation, resistance",
                            ),
                            Text(
                                "Disruption, guérilla, viralité",
                                "Disruption, guerrilla tactics, virality",
                            ),
                            Text(
                                "Articulation, écosystèmes, filières…",
                                "Interconnection, ecosystems, value chains…",
                            ),
                        ],
                    },
                ),
            ],
        },
    ),
    PageSpec(
        key="qn:articles",
        model="editions.ArticleIndexPage",
        parent=HOME,
        fields={
            "title": same("Articles"),
            "slug": Text("articles", "articles"),
            "show_in_menus": True,
            "introduction": Text(
                "Les articles de toutes les éditions de Questions Numériques, du plus récent "
                "au plus ancien.",
                "Articles from every edition of Questions Numériques, the most recent first.",
            ),
        },
    ),
    PageSpec(
        key=TEAM,
        model="home.PersonIndexPage",
        parent=HOME,
        fields={
            "title": Text("L’équipe projet", "Project team"),
            "slug": Text("equipe-projet", "project-team"),
            "show_in_menus": True,
            "introduction": Text(
                "Les personnes de la Fing qui portent Questions Numériques, et vos contacts "
                "pour le projet et pour les partenariats.",
                "The people at Fing behind Questions Numériques, and your contacts for the "
                "project and for partnerships.",
            ),
        },
    ),
    PageSpec(
        key="qn:person:jacques-francois-marchandise",
        model="home.PersonPage",
        parent=TEAM,
        fields={
            "title": same("Jacques-François Marchandise"),
            "slug": Text("jacques-francois-marchandise", "jacques-francois-marchandise"),
            "role": Text(
                "Directeur de la recherche et de la prospective",
                "Director of Research and Foresight",
            ),
            # The brochure gives no e-mail address for him.
            "biography": Rich(
                Text(
                    "Jacques-François Marchandise contribue à l’animation de la Fing depuis sa "
                    "création fin 1999. Il est également enseignant à l’Ensci, à l’Université "
                    "Rennes 2, à Télécom ParisTech, et chercheur associé à l’Institut Télécom. "
                    "Philosophe de formation, impliqué depuis 1982 dans l’innovation numérique, "
                    "il s’intéresse plus particulièrement aux questions de maîtrise collective "
                    "et d’appropriation, de réflexivité et de pensée critique. Il participe à "
                    "la Fing comme à une « communauté apprenante » et comme à un organisme "
                    "« passerelle », inter-réseaux, entre acteurs et chercheurs, entre "
                    "théoriciens et praticiens, entre thématiques trop cloisonnées, entre "
                    "organisations de toutes tailles.",
                    "Jacques-François Marchandise has helped to run Fing since it was founded "
                    "at the end of 1999. He also teaches at Ensci, Université Rennes 2 and "
                    "Télécom ParisTech, and is an associate researcher at Institut Télécom. A "
                    "philosopher by training, involved in digital innovation since 1982, he is "
                    "particularly interested in collective control and appropriation, "
                    "reflexivity and critical thinking. He sees Fing as a “learning community” "
                    "and as a “bridge” across networks: between stakeholders and researchers, "
                    "between theorists and practitioners, between subjects kept too far apart, "
                    "between organisations of every size.",
                ),
            ),
        },
    ),
    PageSpec(
        key="qn:person:sophie-maheo",
        model="home.PersonPage",
        parent=TEAM,
        fields={
            "title": same("Sophie Mahéo"),
            "slug": Text("sophie-maheo", "sophie-maheo"),
            "role": Text("Chef de projet", "Project manager"),
            "email": "smaheo@fing.org",
            "biography": Rich(
                Text(
                    "Sophie Mahéo rejoint la Fing en 2014, pour coordonner les activités "
                    "collaboratives du pôle prospective, particulièrement Questions Numériques.",
                    "Sophie Mahéo joined Fing in 2014 to coordinate the collaborative work of "
                    "its foresight team, Questions Numériques above all.",
                ),
                Text(
                    "Elle a notamment occupé les fonctions d’ingénieur en technologie de la "
                    "formation à l’université Paris Descartes, et de responsable de l’animation "
                    "des écosystèmes à Inria. Spécialisée en stratégie numérique, facilitation "
                    "de projets et animation de l’innovation, elle a toujours travaillé à "
                    "l’articulation entre dispositifs techniques et pratiques sociales. Elle "
                    "participe à la Fing à la coordination des démarches Questions Numériques "
                    "et Transitions².",
                    "Her previous roles include learning technology engineer at Université "
                    "Paris Descartes and head of ecosystem development at Inria. A specialist "
                    "in digital strategy, project facilitation and innovation management, she "
                    "has always worked where technical systems meet social practices. At Fing, "
                    "she helps to coordinate the Questions Numériques and Transitions² "
                    "programmes.",
                ),
            ),
        },
    ),
    PageSpec(
        key="qn:person:cecile-christodoulou",
        model="home.PersonPage",
        parent=TEAM,
        fields={
            "title": same("Cécile Christodoulou"),
            "slug": Text("cecile-christodoulou", "cecile-christodoulou"),
            "role": Text("Contact partenariats", "Partnerships contact"),
            "email": "cch@fing.org",
            # The brochure gives no biography for her: none is written here.
        },
    ),
    PageSpec(
        key="qn:about-fing",
        model="home.OrganisationPage",
        parent=HOME,
        fields={
            "title": Text("À propos de la Fing", "About Fing"),
            "slug": Text("a-propos-de-la-fing", "about-fing"),
            "show_in_menus": True,
            "introduction": Text(
                "Le « think & do-tank » qui anime Questions Numériques.",
                "The think-and-do tank behind Questions Numériques.",
            ),
            "mission": Text(
                "La Fing a pour mission de produire des idées neuves et actionnables pour "
                "anticiper les transformations numériques.",
                "Fing’s mission is to produce new, actionable ideas to anticipate digital "
                "transformations.",
            ),
            "legal_status": Text(
                "Association loi de 1901", "Non-profit association under the French law of 1901"
            ),
            "member_count": 330,
            "description": Rich(
                Text(
                    "Depuis 2000, la Fing et ses partenaires ont construit un nouveau genre de "
                    "« think &amp; do-tank », reconnu dans toute l’Europe et au-delà. Les "
                    "méthodes et les productions de la Fing inspirent les innovateurs, "
                    "nourrissent les politiques publiques, stimulent les chercheurs.",
                    "Since 2000, Fing and its partners have built a new kind of “think-and-do "
                    "tank”, recognised throughout Europe and beyond. Fing’s methods and output "
                    "inspire innovators, inform public policy and stimulate researchers.",
                ),
                Text(
                    "La Fing est une association loi de 1901 dont les ressources proviennent "
                    "des cotisations de ses 330 adhérents, des contributions de ses partenaires "
                    "et du soutien des entreprises, des collectivités locales et des acteurs "
                    "publics à ses projets.",
                    "Fing is a non-profit association under the French law of 1901. Its "
                    "resources come from the fees of its 330 members, from its partners’ "
                    "contributions, and from the support that companies, local authorities and "
                    "public bodies give to its projects.",
                ),
            ),
            "offices": [
                (
                    "office",
                    {
                        "city": same("Paris"),
                        "address": Text(
                            "8, passage Brulon\n75012 Paris",
                            "8, passage Brulon\n75012 Paris\nFrance",
                        ),
                        "phone": same("+33 (0)1 83 62 98 28"),
                    },
                ),
                (
                    "office",
                    {
                        "city": same("Marseille"),
                        "address": Text(
                            "CMCI, 2 rue Henri Barbusse\n13001 Marseille",
                            "CMCI, 2 rue Henri Barbusse\n13001 Marseille\nFrance",
                        ),
                        "phone": same("+33 (0)4 91 52 88 08"),
                    },
                ),
            ],
            "links": [
                ("link", {"label": same("www.fing.org"), "url": FING_URL}),
                ("link", {"label": same("www.internetactu.net"), "url": INTERNETACTU_URL}),
            ],
        },
    ),
    PageSpec(
        key="qn:legal-notice",
        model="home.StandardPage",
        parent=HOME,
        fields={
            "title": Text("Mentions légales", "Legal notice"),
            "slug": Text("mentions-legales", "legal-notice"),
            "show_in_menus": False,
            "introduction": Text(
                "Qui publie ce site, et qui l’héberge.",
                "Who publishes this site, and who hosts it.",
            ),
            "body": [
                _heading("Éditeur du site", "Publisher"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Fing, association loi de 1901<br/>"
                            "8, passage Brulon, 75012 Paris<br/>"
                            "Téléphone : +33 (0)1 83 62 98 28<br/>"
                            f'Site web : <a href="{FING_URL}">www.fing.org</a>',
                            "Fing, a non-profit association under the French law of 1901<br/>"
                            "8, passage Brulon, 75012 Paris, France<br/>"
                            "Telephone: +33 (0)1 83 62 98 28<br/>"
                            f'Website: <a href="{FING_URL}">www.fing.org</a>',
                        ),
                        Text(
                            "Directeur ou directrice de la publication : à compléter par "
                            "l’exploitant du site.",
                            "Director of publication: to be completed by the site’s operator.",
                        ),
                    ),
                ),
                _heading("Hébergement", "Hosting"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Le nom, l’adresse et le téléphone de l’hébergeur de ce site sont à "
                            "compléter par l’exploitant lors de sa mise en ligne.",
                            "The name, address and telephone number of this site’s host are to "
                            "be completed by the site’s operator when it goes live.",
                        ),
                    ),
                ),
                _heading("Logiciel", "Software"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Ce site fonctionne avec un logiciel libre, publié sous licence GNU "
                            "Affero General Public License (version 3 ou ultérieure) et construit "
                            "avec Django et Wagtail.",
                            "This site runs on free software, published under the GNU Affero "
                            "General Public License (version 3 or later) and built with Django "
                            "and Wagtail.",
                        ),
                    ),
                ),
            ],
        },
    ),
    PageSpec(
        key="qn:privacy-policy",
        model="home.StandardPage",
        parent=HOME,
        fields={
            "title": Text("Politique de confidentialité", "Privacy policy"),
            "slug": Text("politique-de-confidentialite", "privacy-policy"),
            "show_in_menus": False,
            "introduction": Text(
                "Ce que ce site fait, et ne fait pas, de vos données.",
                "What this site does, and does not do, with your data.",
            ),
            "body": [
                _heading("Aucun pistage", "No tracking"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Ce site ne dépose aucun cookie de mesure d’audience, de publicité "
                            "ou de pistage, et n’intègre aucun service tiers de statistiques.",
                            "This site sets no audience-measurement, advertising or tracking "
                            "cookies, and embeds no third-party analytics service.",
                        ),
                        Text(
                            "Il n’utilise que des cookies techniques, nécessaires à son "
                            "fonctionnement : un cookie de session et un cookie de protection "
                            "contre la falsification de requêtes, déposés seulement lorsqu’un "
                            "membre de l’équipe éditoriale se connecte à l’administration du "
                            "site, lorsqu’un visiteur saisit le mot de passe d’une page protégée "
                            "ou lorsqu’il envoie un formulaire.",
                            "It only uses the technical cookies it needs to work: a session "
                            "cookie and a cookie that protects against cross-site request "
                            "forgery, set only when a member of the editorial team logs in to "
                            "the site’s administration, when a visitor enters the password of a "
                            "protected page, or when someone sends a form.",
                        ),
                    ),
                ),
                _heading("Données transmises par formulaire", "Data sent through forms"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Les informations que vous nous transmettez par un formulaire de ce "
                            "site servent uniquement à vous répondre.",
                            "Whatever you send us through a form on this site is used only to "
                            "answer you.",
                        ),
                    ),
                ),
                _heading("Vos droits", "Your rights"),
                (
                    "paragraph",
                    Rich(
                        Text(
                            "Conformément au règlement général sur la protection des données "
                            "(RGPD), vous pouvez demander à consulter, rectifier ou effacer les "
                            "données qui vous concernent en écrivant à la Fing, 8, passage "
                            "Brulon, 75012 Paris.",
                            "Under the General Data Protection Regulation (GDPR), you may ask to "
                            "see, correct or delete the data concerning you by writing to Fing, "
                            "8, passage Brulon, 75012 Paris, France.",
                        ),
                    ),
                ),
            ],
        },
    ),
    PageSpec(
        key=CONTACT_PAGE,
        model="membership.EnquiryPage",
        parent=HOME,
        fields={
            "title": Text("Nous contacter", "Contact us"),
            "slug": Text("nous-contacter", "contact-us"),
            "show_in_menus": True,
            "introduction": Text(
                "Une question sur Questions Numériques, sur le partenariat d’une édition, une "
                "demande de la presse ? Écrivez-nous : votre message est transmis à la personne "
                "de l’équipe qui s’en occupe.",
                "A question about Questions Numériques or about partnering an edition, or a "
                "press enquiry? Write to us: your message goes to the person on the team who "
                "deals with it.",
            ),
            "thank_you": Rich(
                Text(
                    "Merci, votre message nous est bien parvenu. Nous vous répondrons dès que "
                    "possible.",
                    "Thank you, your message has reached us. We will answer you as soon as we can.",
                ),
            ),
        },
    ),
]

PRICES = [
    PriceSpec(edition=THINK_SMALL, tier="adherent", amount_cents=2_000_000),
    PriceSpec(edition=THINK_SMALL, tier="non_member", amount_cents=2_500_000),
]

CECILE = "cch@fing.org"
SOPHIE = "smaheo@fing.org"

CONTACTS = [
    ContactSpec(name="Cécile Christodoulou", role="Contact partenariats", email=CECILE),
    ContactSpec(name="Sophie Mahéo", role="Contact projet", email=SOPHIE),
]

ROUTES = [
    RouteSpec(topic="partnership", contact=CECILE),
    RouteSpec(topic="programme", contact=SOPHIE),
    # The brochure names no press contact and no general one: press and other enquiries go
    # to the project contact by default; editors change it in the admin's routing table.
    RouteSpec(topic="press", contact=SOPHIE),
    RouteSpec(topic="other", contact=SOPHIE),
]
