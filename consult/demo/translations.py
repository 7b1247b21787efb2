"""French and Spanish texts of the demo: consultation, phases and the phase-1 statements.

Written by us for the demo, as the Support Unit of a partnership would: the consultation and its
phases are translated in full, and so are the phase-1 statements (their originals are English).
"""
# ruff: noqa: E501

CONSULTATION = {
    "fr": {
        "title": "Partenariat Open Futures — Stratégie 2027–2031",
        "description": (
            "Le Partenariat Open Futures réunit des gouvernements et la société civile pour rendre "
            "les institutions publiques plus transparentes, participatives et redevables. Au cours "
            "de l'année à venir, ses membres et le public co-créent la stratégie quinquennale du "
            "Partenariat, en trois phases. À la fin de chaque phase, l'Unité d'appui publie une "
            "réponse motivée : ce que nous avons entendu et ce que nous en avons fait."
        ),
    },
    "es": {
        "title": "Alianza Open Futures — Estrategia 2027–2031",
        "description": (
            "La Alianza Open Futures reúne a gobiernos y sociedad civil para que las instituciones "
            "públicas sean más transparentes, participativas y responsables. Durante el próximo "
            "año, sus miembros y el público cocrean la estrategia quinquenal de la Alianza, en tres "
            "fases. Al final de cada fase, la Unidad de Apoyo publica una respuesta razonada: lo "
            "que escuchamos y lo que hicimos con ello."
        ),
    },
}

PHASES = [
    {
        "fr": {
            "title": "Pertinence et rôle",
            "purpose": (
                "Qu'est-ce qui comptera le plus pour le gouvernement ouvert dans les cinq "
                "prochaines années, et quel rôle le Partenariat doit-il jouer ? Votez sur les "
                "affirmations ci-dessous et ajoutez les vôtres."
            ),
        },
        "es": {
            "title": "Pertinencia y papel",
            "purpose": (
                "¿Qué será lo más importante para el gobierno abierto en los próximos cinco años "
                "y qué papel debe desempeñar la Alianza? Vote las afirmaciones de abajo y añada "
                "las suyas."
            ),
        },
    },
    {
        "fr": {
            "title": "Validation des orientations qui se dessinent",
            "purpose": (
                "Les orientations stratégiques issues de la phase 1 reflètent-elles ce que vous "
                "avez dit ? Quelles idées concrètes relèvent de chacune ?"
            ),
        },
        "es": {
            "title": "Validación de las orientaciones emergentes",
            "purpose": (
                "¿Reflejan las orientaciones estratégicas surgidas de la fase 1 lo que usted dijo? "
                "¿Qué ideas concretas corresponden a cada una?"
            ),
        },
    },
    {
        "fr": {
            "title": "Consultation publique sur le projet de stratégie",
            "purpose": "Commentez le projet de stratégie avant son approbation par le Comité directeur.",
        },
        "es": {
            "title": "Consulta pública sobre el borrador de estrategia",
            "purpose": "Comente el borrador de estrategia antes de que lo apruebe el Comité Directivo.",
        },
    },
]

# One (French, Spanish) pair per phase-1 statement, in the order of content.STATEMENTS.
STATEMENTS: list[tuple[str, str]] = [
    (
        "La participation citoyenne aux plans d'action nationaux devrait être une obligation pour les membres, et non une recommandation.",
        "La participación ciudadana en los planes de acción nacionales debería ser una obligación para los miembros, no una recomendación.",
    ),
    (
        "Les méthodes délibératives, comme les assemblées citoyennes, méritent une plus grande place dans la prochaine stratégie.",
        "Los métodos deliberativos, como las asambleas ciudadanas, merecen un lugar más importante en la próxima estrategia.",
    ),
    (
        "La participation doit toucher les personnes qui vivent hors des capitales, y compris celles qui n'ont pas accès à internet.",
        "La participación debe llegar a las personas que viven fuera de las capitales, incluidas las que no tienen acceso a internet.",
    ),
    (
        "À elles seules, les consultations en ligne donnent trop de poids aux personnes déjà engagées.",
        "Por sí solas, las consultas en línea dan demasiado peso a las personas que ya están comprometidas.",
    ),
    (
        "Les membres devraient expliquer aux participants comment leurs contributions ont été utilisées, à chaque fois.",
        "Los miembros deberían explicar a los participantes cómo se usaron sus aportaciones, cada vez.",
    ),
    (
        "La protection de l'espace civique devrait être un objectif central de la stratégie, et non un sujet secondaire.",
        "La protección del espacio cívico debería ser un objetivo central de la estrategia, no un tema secundario.",
    ),
    (
        "Le Partenariat devrait s'exprimer publiquement lorsqu'un gouvernement membre restreint la société civile.",
        "La Alianza debería pronunciarse públicamente cuando un gobierno miembro restringe a la sociedad civil.",
    ),
    (
        "Les lois qui limitent le financement étranger des associations menacent le gouvernement ouvert.",
        "Las leyes que limitan la financiación extranjera de las asociaciones son una amenaza para el gobierno abierto.",
    ),
    (
        "Les journalistes et les défenseurs des droits humains ont besoin d'une protection concrète, pas seulement de déclarations de soutien.",
        "Los periodistas y los defensores de derechos humanos necesitan protección concreta, no solo declaraciones de apoyo.",
    ),
    (
        "Les registres des bénéficiaires effectifs des entreprises devraient être publics et consultables gratuitement.",
        "Los registros de quién es realmente dueño de las empresas deberían ser públicos y de consulta gratuita.",
    ),
    (
        "Les données sur les marchés publics devraient couvrir toutes les étapes de la commande publique, de la planification au paiement.",
        "Los datos de contratación abierta deberían cubrir todas las etapas de la contratación pública, de la planificación al pago.",
    ),
    (
        "Les déclarations de patrimoine des hauts responsables devraient être publiées et vérifiées par un organisme indépendant.",
        "Las declaraciones patrimoniales de los altos cargos deberían publicarse y ser verificadas por un organismo independiente.",
    ),
    (
        "Les engagements anticorruption sont trop souvent symboliques ; la stratégie devrait donner la priorité à leur application.",
        "Los compromisos anticorrupción son demasiado a menudo simbólicos; la estrategia debería priorizar su cumplimiento.",
    ),
    (
        "Les gouvernements devraient publier comment ils utilisent des algorithmes dans les décisions qui touchent les personnes.",
        "Los gobiernos deberían publicar cómo usan algoritmos en las decisiones que afectan a las personas.",
    ),
    (
        "Les services publics numériques ne doivent jamais devenir le seul moyen de joindre l'administration.",
        "Los servicios públicos digitales nunca deben convertirse en la única vía para llegar a la administración.",
    ),
    (
        "Le Partenariat devrait aider les membres à bâtir une infrastructure numérique ouverte et partagée au lieu d'acheter des logiciels fermés.",
        "La Alianza debería ayudar a los miembros a construir una infraestructura digital abierta y compartida en lugar de comprar software cerrado.",
    ),
    (
        "La protection des données personnelles doit passer en premier lorsque les gouvernements ouvrent leurs données.",
        "La protección de los datos personales debe ir primero cuando los gobiernos abren sus datos.",
    ),
    (
        "L'intelligence artificielle utilisée par les administrations publiques a besoin d'un contrôle indépendant.",
        "La inteligencia artificial que usan las administraciones públicas necesita una supervisión independiente.",
    ),
    (
        "L'action climatique devrait être un domaine prioritaire de la prochaine stratégie quinquennale.",
        "La acción climática debería ser un área prioritaria de la próxima estrategia quinquenal.",
    ),
    (
        "Des données ouvertes sur les émissions et la finance climatique permettraient aux citoyens de demander des comptes aux gouvernements.",
        "Los datos abiertos sobre emisiones y financiación climática permitirían a la ciudadanía pedir cuentas a los gobiernos.",
    ),
    (
        "Le climat ne relève pas du mandat du Partenariat et devrait être laissé à d'autres organisations.",
        "El clima está fuera del mandato de la Alianza y debería dejarse a otras organizaciones.",
    ),
    (
        "Les communautés touchées par des projets miniers et énergétiques doivent avoir leur mot à dire avant l'octroi des permis.",
        "Las comunidades afectadas por proyectos mineros y energéticos deben poder opinar antes de que se concedan las licencias.",
    ),
    (
        "C'est au niveau local que les gens voient d'abord le gouvernement ouvert à l'œuvre ; les collectivités locales méritent plus de soutien.",
        "Es en lo local donde la gente ve primero el gobierno abierto en acción; los gobiernos locales merecen más apoyo.",
    ),
    (
        "Les budgets ouverts au niveau des villes devraient être la pratique courante de chaque membre local.",
        "Los presupuestos abiertos a nivel municipal deberían ser práctica habitual de cada miembro local.",
    ),
    (
        "Le programme local devrait s'ouvrir aux petites communes et aux communes rurales.",
        "El programa local debería ampliarse a los municipios pequeños y rurales.",
    ),
    (
        "Les gouvernements nationaux devraient partager des financements avec les membres locaux qui mènent des réformes.",
        "Los gobiernos nacionales deberían compartir financiación con los miembros locales que llevan a cabo reformas.",
    ),
    (
        "Les réformateurs au sein des gouvernements ont besoin de plus de reconnaissance et du soutien de leurs pairs dans le Partenariat.",
        "Las personas reformistas dentro de los gobiernos necesitan más reconocimiento y apoyo entre pares por parte de la Alianza.",
    ),
    (
        "La société civile et le gouvernement devraient coprésider chaque forum multipartite national.",
        "La sociedad civil y el gobierno deberían copresidir cada foro multiactor nacional.",
    ),
    (
        "Le Partenariat devrait travailler davantage avec les parlements, et pas seulement avec les gouvernements.",
        "La Alianza debería trabajar más con los parlamentos, no solo con los gobiernos.",
    ),
    (
        "Les organisations de jeunesse devraient avoir un siège garanti dans les forums multipartites.",
        "Las organizaciones juveniles deberían tener un asiento garantizado en los foros multiactor.",
    ),
    (
        "Des liens plus étroits avec les entreprises privées risquent d'affaiblir l'indépendance du processus.",
        "Unos lazos más estrechos con empresas privadas pueden debilitar la independencia del proceso.",
    ),
    (
        "Les membres qui ne respectent pas à plusieurs reprises les normes minimales devraient en subir des conséquences claires.",
        "Los miembros que incumplen una y otra vez los estándares mínimos deberían afrontar consecuencias claras.",
    ),
    (
        "Le Partenariat devrait mesurer les résultats des réformes, et pas seulement si les engagements ont été tenus.",
        "La Alianza debería medir los resultados de las reformas, no solo si se cumplieron los compromisos.",
    ),
    (
        "Les évaluations indépendantes des plans d'action devraient être plus courtes et plus faciles à lire.",
        "Las evaluaciones independientes de los planes de acción deberían ser más breves y fáciles de leer.",
    ),
    (
        "Les classements mondiaux des pays découragent les réformateurs plus qu'ils ne les aident.",
        "Las clasificaciones mundiales de países desaniman a los reformistas más de lo que les ayudan.",
    ),
    (
        "Des engagements moins nombreux mais plus ambitieux valent mieux que de longs plans d'action.",
        "Son mejores menos compromisos pero más ambiciosos que planes de acción largos.",
    ),
    (
        "La stratégie devrait se concentrer sur quelques thèmes où le Partenariat peut vraiment faire la différence.",
        "La estrategia debería centrarse en unos pocos temas en los que la Alianza puede marcar una diferencia real.",
    ),
    (
        "L'adhésion devrait rester ouverte aux gouvernements quel que soit leur bilan en matière de droits humains, pour encourager la réforme de l'intérieur.",
        "La membresía debería seguir abierta a los gobiernos sea cual sea su historial en derechos humanos, para fomentar la reforma desde dentro.",
    ),
    (
        "Les lois sur l'accès à l'information devraient être renforcées avant que les membres ne prennent de nouveaux engagements.",
        "Las leyes de acceso a la información deberían reforzarse antes de que los miembros asuman nuevos compromisos.",
    ),
    (
        "L'Unité d'appui devrait publier les notes brutes de chaque conversation communautaire.",
        "La Unidad de Apoyo debería publicar las notas sin editar de cada conversación comunitaria.",
    ),
    (
        "L'égalité de genre devrait être intégrée à chaque engagement, et non traitée comme un thème à part.",
        "La igualdad de género debería integrarse en cada compromiso, no tratarse como un tema aparte.",
    ),
    (
        "Les tribunaux et les systèmes judiciaires relèvent du gouvernement ouvert : eux aussi ont besoin de transparence.",
        "Los tribunales y los sistemas de justicia forman parte del gobierno abierto: también necesitan transparencia.",
    ),
]
