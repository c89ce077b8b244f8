"""Short news text in five languages, written for digest's measurements (no outlet's text).

SENTENCES: one-sentence items per language, for the language detectors (benchmarks/languages.py).
SPLITS: paragraphs with the sentences they must split into, for the sentence splitters.
ARTICLES: one short article per language (as in tests/test_summary_languages.py), for the summarizer's speed.
"""

SENTENCES = {
    "en": [
        "The central bank kept interest rates unchanged on Thursday.",
        "Rail workers walked out for 24 hours over a pay dispute.",
        "Floods closed three bridges across the river overnight.",
        "The minister said the budget would be presented in March.",
        "Police arrested two men after a break-in at the museum.",
        "Shares in the carmaker fell 4% after it cut its forecast.",
        "A new ferry line will link the two islands from May.",
        "Voters in the city backed the tram plan by a wide margin.",
        "The hospital said the patient was in a stable condition.",
        "Talks on the trade deal will resume next week in Geneva.",
        "Firefighters brought the warehouse blaze under control.",
        "The club sacked its coach after five defeats in a row.",
    ],
    "de": [
        "Die Zentralbank hat den Leitzins am Donnerstag unverändert gelassen.",
        "Bahnbeschäftigte legten wegen eines Tarifstreits für 24 Stunden die Arbeit nieder.",
        "Das Hochwasser hat über Nacht drei Brücken am Fluss gesperrt.",
        "Der Minister sagte, der Haushalt werde im März vorgelegt.",
        "Die Polizei nahm nach einem Einbruch ins Museum zwei Männer fest.",
        "Die Aktie des Autobauers fiel um 4 Prozent, nachdem er seine Prognose senkte.",
        "Ab Mai verbindet eine neue Fähre die beiden Inseln.",
        "Die Wähler der Stadt stimmten deutlich für den Bau der Straßenbahn.",
        "Das Krankenhaus teilte mit, der Zustand des Patienten sei stabil.",
        "Die Gespräche über das Handelsabkommen gehen nächste Woche in Genf weiter.",
        "Die Feuerwehr hat den Brand in der Lagerhalle unter Kontrolle gebracht.",
        "Der Verein hat seinen Trainer nach fünf Niederlagen in Folge entlassen.",
    ],
    "fr": [
        "La banque centrale a maintenu ses taux directeurs jeudi.",
        "Les cheminots ont cessé le travail pendant 24 heures pour les salaires.",
        "Les crues ont fermé trois ponts sur le fleuve pendant la nuit.",
        "Le ministre a indiqué que le budget serait présenté en mars.",
        "La police a interpellé deux hommes après un cambriolage au musée.",
        "L'action du constructeur a chuté de 4 % après la baisse de ses prévisions.",
        "Une nouvelle ligne de ferry reliera les deux îles à partir de mai.",
        "Les électeurs de la ville ont largement approuvé le projet de tramway.",
        "L'hôpital a précisé que l'état du patient était stable.",
        "Les négociations sur l'accord commercial reprendront la semaine prochaine à Genève.",
        "Les pompiers ont maîtrisé l'incendie de l'entrepôt.",
        "Le club a limogé son entraîneur après cinq défaites d'affilée.",
    ],
    "es": [
        "El banco central mantuvo los tipos de interés sin cambios el jueves.",
        "Los ferroviarios pararon durante 24 horas por un conflicto salarial.",
        "Las inundaciones cerraron tres puentes sobre el río durante la noche.",
        "El ministro dijo que los presupuestos se presentarán en marzo.",
        "La policía detuvo a dos hombres tras un robo en el museo.",
        "Las acciones del fabricante cayeron un 4 % tras recortar su previsión.",
        "Una nueva línea de ferri unirá las dos islas a partir de mayo.",
        "Los votantes de la ciudad respaldaron el plan del tranvía por amplia mayoría.",
        "El hospital informó de que el paciente se encuentra estable.",
        "Las negociaciones del acuerdo comercial se reanudarán la próxima semana en Ginebra.",
        "Los bomberos controlaron el incendio del almacén.",
        "El club destituyó a su entrenador tras cinco derrotas seguidas.",
    ],
    "it": [
        "La banca centrale ha lasciato invariati i tassi di interesse giovedì.",
        "I ferrovieri hanno scioperato per 24 ore per una vertenza salariale.",
        "Le piene hanno chiuso tre ponti sul fiume durante la notte.",
        "Il ministro ha detto che il bilancio sarà presentato a marzo.",
        "La polizia ha arrestato due uomini dopo un furto al museo.",
        "Le azioni della casa automobilistica sono scese del 4% dopo il taglio delle stime.",
        "Una nuova linea di traghetti collegherà le due isole da maggio.",
        "Gli elettori della città hanno approvato il progetto del tram a larga maggioranza.",
        "L'ospedale ha fatto sapere che il paziente è in condizioni stabili.",
        "I negoziati sull'accordo commerciale riprenderanno la prossima settimana a Ginevra.",
        "I vigili del fuoco hanno domato l'incendio del magazzino.",
        "La squadra ha esonerato l'allenatore dopo cinque sconfitte di fila.",
    ],
}

# (language, paragraph, the sentences it must split into)
SPLITS = [
    ("de", "Die Stadt plant neue Radwege, z. B. in der Altstadt. Der Rat entscheidet im Januar.",
     ["Die Stadt plant neue Radwege, z. B. in der Altstadt.", "Der Rat entscheidet im Januar."]),
    ("de", "Dr. Anna Keller leitet die Klinik seit 2019. Sie übernimmt nun auch die Forschung.",
     ["Dr. Anna Keller leitet die Klinik seit 2019.", "Sie übernimmt nun auch die Forschung."]),
    ("de", "Der Zug Nr. 418 fiel am 6. Dezember aus. Fahrgäste warteten zwei Stunden.",
     ["Der Zug Nr. 418 fiel am 6. Dezember aus.", "Fahrgäste warteten zwei Stunden."]),
    ("de", "Am 3. Oktober feiert die Stadt mit Konzerten, Märkten usw. Gefeiert wird bis Mitternacht.",
     ["Am 3. Oktober feiert die Stadt mit Konzerten, Märkten usw.", "Gefeiert wird bis Mitternacht."]),
    ("de", "„Wir sind bereit.“ Das sagte die Ministerin am Montag in Bonn.",
     ["„Wir sind bereit.“", "Das sagte die Ministerin am Montag in Bonn."]),
    ("fr", "M. Dupont a été élu maire dimanche. Mme Leroy devient son adjointe.",
     ["M. Dupont a été élu maire dimanche.", "Mme Leroy devient son adjointe."]),
    ("fr", "Le groupe Vinel S.A. a racheté trois usines. Les syndicats demandent des garanties.",
     ["Le groupe Vinel S.A. a racheté trois usines.", "Les syndicats demandent des garanties."]),
    ("fr", "Plusieurs régions, p. ex. la Bretagne, sont en alerte. Météo-France prévoit des rafales.",
     ["Plusieurs régions, p. ex. la Bretagne, sont en alerte.", "Météo-France prévoit des rafales."]),
    ("fr", "« Nous ne céderons pas. » Le Premier ministre l'a répété mardi.",
     ["« Nous ne céderons pas. »", "Le Premier ministre l'a répété mardi."]),
    ("es", "El Sr. Gómez y la Sra. Ruiz firmaron el acuerdo. La empresa contratará a 200 personas.",
     ["El Sr. Gómez y la Sra. Ruiz firmaron el acuerdo.", "La empresa contratará a 200 personas."]),
    ("es", "Varias ciudades, p. ej. Sevilla, superaron los 40 grados. El Gobierno activó la alerta.",
     ["Varias ciudades, p. ej. Sevilla, superaron los 40 grados.", "El Gobierno activó la alerta."]),
    ("es", "La cumbre con EE. UU. se celebrará en Madrid. Asistirán 30 delegaciones.",
     ["La cumbre con EE. UU. se celebrará en Madrid.", "Asistirán 30 delegaciones."]),
    ("es", "«No habrá recortes.» Así lo aseguró la ministra en el Congreso.",
     ["«No habrá recortes.»", "Así lo aseguró la ministra en el Congreso."]),
]

# Headline-sized fragments, harder: few words, names and numbers.
SHORT = {
    "en": ["Strike halts Berlin trains", "Rates on hold again", "Mayor wins second term",
           "Storm cuts power to 40,000", "Talks stall in Geneva", "Museum thieves caught"],
    "de": ["Streik legt Berliner Züge lahm", "Zinsen bleiben unverändert", "Bürgermeisterin wiedergewählt",
           "Sturm: 40.000 ohne Strom", "Gespräche in Genf stocken", "Museumsdiebe gefasst"],
    "fr": ["Grève dans les trains berlinois", "Les taux restent inchangés", "La maire réélue",
           "Tempête : 40 000 foyers sans courant", "Blocage des pourparlers à Genève", "Les voleurs du musée arrêtés"],
    "es": ["Huelga en los trenes de Berlín", "Los tipos siguen igual", "La alcaldesa, reelegida",
           "Temporal: 40.000 hogares sin luz", "Se estancan las negociaciones en Ginebra", "Detenidos los ladrones del museo"],
    "it": ["Sciopero dei treni a Berlino", "Tassi fermi ancora", "Sindaca rieletta",
           "Tempesta: 40.000 senza corrente", "Trattative ferme a Ginevra", "Presi i ladri del museo"],
}


# The articles of tests/test_summary_languages.py.
GERMAN = """Die Stadt Leipzig will bis 2030 rund 40 neue Radwege bauen, z. B. entlang der Ringstraße. \
Der Stadtrat beschloss den Plan am 6. Dezember mit großer Mehrheit.

Jedoch kritisierte die Opposition die Kosten von 120 Millionen Euro. Diese Summe sei zu hoch, hieß es.

Die Bauarbeiten beginnen am 3. Oktober mit dem Abschnitt Nr. 1 am Hauptbahnhof.

„Wir holen nach, was jahrelang versäumt wurde.“ Das sagte Oberbürgermeisterin Petra Lindner am Dienstag."""

FRENCH = """Le conseil régional de Bretagne a adopté jeudi un plan de 300 millions d'euros pour les lignes de \
car, p. ex. entre Rennes et Vannes. M. Le Guen, président de la commission, a présenté le texte.

Cette décision intervient après deux ans de concertation. Cependant, les syndicats réclament plus de chauffeurs.

Les nouvelles lignes ouvriront en septembre, a précisé la région.

« Nous voulons un car toutes les heures. » La présidente Claire Morvan l'a répété devant les élus."""

SPANISH = """El Ayuntamiento de Valencia aprobó el lunes un plan de 85 millones de euros para renovar el \
alumbrado público, p. ej. en los barrios del norte. La Sra. Ferrer presentó el proyecto ante el pleno.

Sin embargo, la oposición criticó el calendario de las obras. Esta medida llega tras dos años de retrasos.

Las obras comenzarán en marzo y durarán 18 meses, según el consistorio.

«Será la mayor inversión en la ciudad desde 2015.» Así lo afirmó la alcaldesa, Marta Roig, en rueda de prensa."""

ARTICLES = {"de": GERMAN, "fr": FRENCH, "es": SPANISH}
