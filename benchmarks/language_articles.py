"""Ten short articles in each of German, French and Spanish, in the shape of wire copy, written for
benchmarks/languages.py (no outlet's text). Sentences are separated by " | " (the true boundaries),
paragraphs by blank lines; a sentence marked "!" cannot stand alone in a blurb (it points back,
names someone the blurb has not introduced, or is a quotation without its speaker).
"""

DE = [
    """Die Stadtwerke München erhöhen zum 1. Januar die Preise für Fernwärme um 8 Prozent. | Betroffen sind rund 60.000 Haushalte, z. B. in Schwabing und Bogenhausen.

!Jedoch soll es für Bezieher kleiner Einkommen einen Zuschuss geben. | !Dieser Zuschuss wird bis zu 200 Euro betragen.""",
    """Der Bundestag hat am Donnerstag das neue Mietrecht beschlossen. | Es begrenzt Mieterhöhungen in angespannten Märkten auf 9 Prozent in drei Jahren.

!Außerdem müssen Vermieter künftig die Heizkosten genauer abrechnen. | „Das ist ein guter Tag für Mieter.“ | !Das sagte Justizministerin Karin Vogt nach der Abstimmung.""",
    """Dr. Jana Wolf übernimmt am 15. März die Leitung der Berliner Charité. | Die 52-jährige Kardiologin folgt auf Prof. Martin Beck, der in den Ruhestand geht.

!Sie will vor allem die Notaufnahmen entlasten. | !Frau Wolf kündigte dafür 300 neue Stellen an.""",
    """Ein Sturm hat in der Nacht zum Montag in Norddeutschland schwere Schäden angerichtet. | Auf der Strecke Nr. 2 zwischen Hamburg und Bremen fielen alle Züge aus.

!Auch der Flughafen Hamburg stellte den Betrieb für vier Stunden ein. | Der Deutsche Wetterdienst warnte vor weiteren Böen bis 120 km/h.""",
    """Der Autozulieferer Brenner AG streicht bis 2027 rund 1.200 Stellen in Deutschland. | Das Unternehmen begründete den Schritt mit der schwachen Nachfrage nach Verbrennern.

!Diese Entscheidung trifft vor allem das Werk in Zwickau. | Die IG Metall kündigte Proteste an, u. a. in Stuttgart.""",
    """Die Europäische Zentralbank hat den Leitzins am 6. Dezember um 0,25 Prozentpunkte gesenkt. | Er liegt damit bei 2,75 Prozent.

!Jedoch rechnen Ökonomen nicht mit weiteren Senkungen vor dem Sommer. | Die Inflation im Euroraum lag im November bei 2,3 Prozent.""",
    """In Köln ist am Samstag die neue Rheinbrücke für Radfahrer und Fußgänger eröffnet worden. | Die Brücke ist 420 m lang und hat 38 Mio. Euro gekostet.

„Wir haben zehn Jahre darauf gewartet.“ | !Das sagte Oberbürgermeister Lukas Brandt bei der Eröffnung. | Täglich sollen etwa 15.000 Menschen die Brücke nutzen.""",
    """Die Polizei in Leipzig hat drei Männer festgenommen, die Geldautomaten gesprengt haben sollen. | Die Festnahmen erfolgten am 3. Oktober in einer Wohnung im Stadtteil Grünau.

!Außerdem stellten die Ermittler Sprengstoff und 90.000 Euro Bargeld sicher. | !Die Männer schweigen bisher zu den Vorwürfen.""",
    """Bayern will bis 2030 alle Schulen mit schnellem Internet ausstatten. | Dafür stellt der Freistaat 500 Mio. Euro bereit, v. a. für ländliche Gemeinden.

!Dieses Programm soll im Frühjahr starten. | Die Kommunen können Anträge ab dem 1. April stellen.""",
    """Der Hamburger Hafen hat im dritten Quartal 2,1 Mio. Container umgeschlagen. | Das sind 4 Prozent mehr als im Vorjahr.

!Jedoch bleibt der Hafen hinter Rotterdam und Antwerpen zurück. | Der Senat will die Elbvertiefung bis 2028 abschließen.""",
]

FR = [
    """Le gouvernement a annoncé mardi une hausse de 5 % du budget de la recherche pour 2027. | Les universités recevront 400 millions d'euros supplémentaires, p. ex. pour les laboratoires.

!Cependant, les syndicats jugent l'effort insuffisant. | !Cette hausse ne compense pas l'inflation, selon eux.""",
    """La SNCF mettra en service 30 nouveaux TER en Occitanie à partir du 1er mars. | Les trains relieront notamment Toulouse, Montpellier et Perpignan.

!Par ailleurs, la région financera la rénovation de 12 gares. | « Le train doit redevenir le premier choix. » | !La présidente de région l'a affirmé jeudi.""",
    """M. Bernard Faure a été élu maire de Nantes dimanche avec 54 % des voix. | L'ancien adjoint aux transports succède à Mme Hélène Roy, qui ne se représentait pas.

!Il a promis de doubler les pistes cyclables d'ici 2030. | !M. Faure prendra ses fonctions lundi.""",
    """Le groupe Lumen S.A. va supprimer 800 postes en France d'ici à fin 2026. | Le fabricant d'ampoules invoque la concurrence asiatique.

!Cette annonce a provoqué la colère des salariés du site de Lille. | Une grève est prévue jeudi, a indiqué la CGT.""",
    """Des orages violents ont frappé le sud-est de la France dans la nuit de samedi à dimanche. | Plus de 20 000 foyers étaient privés d'électricité dimanche matin dans le Var.

!Ensuite, les pompiers ont effectué plus de 300 interventions. | Météo-France a maintenu la vigilance orange pour trois départements.""",
    """La Banque de France a relevé sa prévision de croissance à 1,1 % pour 2027. | L'institution cite la reprise de la consommation des ménages.

!Toutefois, l'investissement des entreprises reste faible. | Le chômage devrait se stabiliser à 7,4 %, selon la banque.""",
    """Le musée du Louvre a accueilli 9 millions de visiteurs en 2026, un record. | Les visiteurs étrangers représentent 70 % du total, notamment des États-Unis.

« Nous devons limiter l'affluence aux heures de pointe. » | !La directrice du musée l'a répété lundi. | Une réservation obligatoire sera mise en place en avril.""",
    """La police a démantelé un réseau de trafic de cigarettes entre la Belgique et le nord de la France. | Onze personnes ont été interpellées mardi à Lille et à Roubaix.

!Par ailleurs, les enquêteurs ont saisi 4 tonnes de tabac. | !Les suspects seront présentés à un juge vendredi.""",
    """Marseille accueillera en juin un sommet sur la Méditerranée réunissant 25 pays. | Les discussions porteront sur l'eau, p. ex. le partage des nappes, et sur les migrations.

!Ce sommet sera présidé par le chef de l'État. | Les chefs de gouvernement sont attendus le 14 juin.""",
    """L'aéroport de Nice a enregistré 15 millions de passagers cette année. | La hausse atteint 6 % par rapport à l'an dernier.

!Cependant, les riverains dénoncent le bruit des vols de nuit. | La préfecture étudie un couvre-feu entre minuit et 6 heures.""",
]

ES = [
    """El Gobierno aprobó el martes un plan de 2.000 millones de euros para la vivienda pública. | Las ayudas se destinarán a jóvenes menores de 35 años, p. ej. para el alquiler.

!Sin embargo, las comunidades autónomas critican el reparto de los fondos. | !Esta medida entrará en vigor en enero.""",
    """La Sra. Elena Paredes será la nueva presidenta del Banco de España a partir de junio. | La economista, de 58 años, sustituye al Sr. Tomás Ibarra.

!Además, el Gobierno nombrará a dos nuevos consejeros. | !Paredes dijo que su prioridad será la inflación.""",
    """Un incendio forestal ha arrasado 3.000 hectáreas en la provincia de Huelva desde el domingo. | Más de 400 vecinos fueron desalojados de sus casas.

!También se cortaron dos carreteras comarcales. | Los bomberos esperan controlar el fuego en las próximas 24 horas.""",
    """La cumbre entre la UE y EE. UU. se celebrará en Bruselas el 12 de mayo. | Los líderes abordarán los aranceles al acero y al aluminio.

!Además, se espera un acuerdo sobre semiconductores. | «Queremos una relación comercial estable.» | !Así lo afirmó el comisario europeo de Comercio.""",
    """El Real Madrid anunció el lunes la renovación de su entrenador hasta 2029. | El club no ha hecho públicas las cifras del contrato.

!Este acuerdo llega tras ganar la Liga la temporada pasada. | !El técnico comparecerá ante la prensa el miércoles.""",
    """El paro bajó en 45.000 personas en noviembre, según el Ministerio de Trabajo. | El número de desempleados se sitúa en 2,5 millones, el más bajo desde 2008.

!No obstante, los sindicatos alertan de la temporalidad. | La afiliación a la Seguridad Social superó los 21 millones.""",
    """La empresa Aguas del Sur S.A. invertirá 150 millones en una desaladora en Almería. | La planta abastecerá a 300.000 habitantes a partir de 2028.

!Sin embargo, los ecologistas temen el impacto sobre el litoral. | La Junta de Andalucía aprobó el proyecto el jueves.""",
    """Renfe pondrá en marcha 40 trenes nuevos en Cercanías de Madrid en marzo. | Los convoyes tienen capacidad para 1.200 viajeros cada uno.

«Es la mayor renovación de la flota en 20 años.» | !Así lo explicó el presidente de Renfe. | !El Sr. Castro presentó los trenes en Atocha.""",
    """Barcelona limitará desde enero la llegada de cruceros a su puerto. | El Ayuntamiento fijará un máximo de tres barcos al día.

!Esta decisión responde a las quejas de los vecinos del centro. | !Además, la tasa turística subirá 2 euros por pasajero.""",
    """Las exportaciones de aceite de oliva crecieron un 12 % en el último año. | España vendió 1,1 millones de toneladas, sobre todo a Italia y EE. UU.

!Sin embargo, los precios en origen bajaron un 20 %. | Las cooperativas piden ayudas para el almacenamiento.""",
]

ARTICLES = {"de": DE, "fr": FR, "es": ES}
