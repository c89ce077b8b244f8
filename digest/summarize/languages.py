"""Languages: the words the sentence splitter and the standalone rules need in German, French and
Spanish. English keeps its own lists in .sentences and .standalone (tuned on the BBC set, and
left exactly as they were); `rules(code)` is None for English and for a language digest has no
words for, which are read by the English rules.
Pure data. May import: nothing from digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Rules:
    code: str
    abbrev: frozenset[str]          # lower case, no full stop: never ends a sentence ("dr", "nr", "sra")
    ends_before_opener: frozenset[str]   # ends one only before an opener ("UU. El", "S.A. Les")
    openers: frozenset[str]         # words that open sentences
    ordinals: bool                  # "am 6. Dezember": a small number's full stop is an ordinal's
    quotes: tuple[tuple[str, str], ...]   # (opening, closing) marks, the language's own first
    closers: str                    # marks that may follow a sentence's final stop
    speech: re.Pattern[str]         # someone says something
    dangling: frozenset[str]        # a first word that points back ("jedoch", "cependant", "además")
    dangling_phrase: re.Pattern[str]     # ... or first words ("sin embargo", "par ailleurs")
    not_pointing: re.Pattern[str]   # openings that only look like pointers ("Il y a", "Dieses Jahr")
    reference: re.Pattern[str]      # "Die Maßnahme", "La mesure": a thing the blurb has not named
    demonstrative: re.Pattern[str]  # "diese Entscheidung", "cette décision" anywhere (group 1: the noun)
    time_nouns: frozenset[str]      # "dieses Jahr", "cette semaine": anchored to the reader's today
    anywhere: re.Pattern[str]       # "jedoch", "cependant", "le lendemain" anywhere outside quotes
    contrast: re.Pattern[str]       # the next sentence takes it back ("Doch", "Mais", "Pero")
    honorific: re.Pattern[str]      # "Herr Müller", "Mme Leroy" (group 1: the surname)
    lone_speaker: re.Pattern[str]   # "sagte Müller", "a déclaré Dupont" (a group: the name)


def _verbs(alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + alternatives + r")\b", re.IGNORECASE)


_UPPER = "A-ZÀ-ÖØ-ÞŁŚŠŽČĆŘ"
UPPER = f"[{_UPPER}]"

_DE_SPEECH = ("sagte|sagt|sagten|erklärte|erklärt|betonte|betont|teilte|mitteilte|warnte|warnt|fügte|kündigte|"
              "räumte|meinte|forderte|fordert|kritisierte|sprach|bestätigte|versicherte|laut|zufolge")
_FR_SPEECH = ("a déclaré|a dit|dit|déclare|a affirmé|affirme|a indiqué|indique|a expliqué|explique|a souligné|"
              "souligne|a assuré|assure|selon|a ajouté|ajoute|a estimé|estime|a annoncé|annonce|a prévenu|"
              "a averti|a répondu|a reconnu|a confirmé|a promis")
_ES_SPEECH = ("dijo|dice|afirmó|afirma|declaró|explicó|explica|aseguró|asegura|señaló|señala|indicó|añadió|"
              "según|advirtió|anunció|reconoció|subrayó|manifestó|confirmó|prometió")

GERMAN = Rules(
    code="de",
    abbrev=_words("""dr prof nr nrn st str bzw ca ggf evtl vgl inkl zzgl abs art bd hr fr frl mio mrd tel jh
        hrsg gegr geb gest sog u.a z.b d.h u.u o.ä jan feb mär apr jun jul aug sep sept okt nov dez
        vs"""),
    ends_before_opener=_words("uu"),
    openers=_words("""Der Die Das Den Dem Des Ein Eine Einer Er Sie Es Wir Ich Im In Am An Auf Bei Nach Vor Mit
        Seit Nun Auch Doch Aber Dies Diese Dieser Dieses Damit Dabei Dazu Zudem Außerdem Jedoch Laut Wie Was Wer
        Als Wenn Während Bis Für Von Vom Zum Zur Trotz Unter Über Bereits Noch So Zuvor Danach Dann Man"""),
    ordinals=True,
    quotes=(("„", "“"), ("»", "«"), ("“", "”"), ('"', '"'), ("‚", "‘")),
    closers="“”«\"'’‘)]",
    speech=_verbs(_DE_SPEECH),
    dangling=_words("""er sie ihr ihre ihren ihrem ihrer sein seine seinen seinem seiner dieser diese dieses
        diesem diesen dies jener jene jenes dabei damit dazu daher deshalb deswegen darum jedoch aber außerdem
        auch zudem trotzdem dennoch allerdings denn doch und oder sondern ebenfalls darüber danach dort
        stattdessen hingegen dagegen gleichzeitig somit also ferner überdies letzterer letztere"""),
    dangling_phrase=re.compile(r"^(?:darüber hinaus|zum beispiel|vor allem|im gegenzug|in diesem fall|"
                               r"zu diesem zeitpunkt|bis dahin|seitdem|das (?:sagte|sagten|erklärte|betonte|teilte|"
                               r"kündigte|bestätigte|forderte|meinte))\b", re.IGNORECASE),
    not_pointing=re.compile(r"^(?:Diese[nms]?|Dies)\s+(?:Jahr|Woche|Monat|Wochenende|Sommer|Winter|Herbst|"
                            r"Frühjahr|Frühling|Morgen|Abend|Saison)\b"),
    reference=re.compile(r"^(?:Der|Die|Das)\s+(?:Maßnahme|Maßnahmen|Entscheidung|Plan|Pläne|Vorschlag|Vorhaben|"
                         r"Beschluss|Einigung|Abkommen|Bericht|Studie|Reform|Schritt|Gesetz|Entwurf|Urteil|Vorfall|"
                         r"Angriff|Treffen|Gespräch|Gespräche|Ankündigung|Erklärung|Forderung|Kritik|Verkauf|"
                         r"Übernahme|Deal|Streit|Projekt|Programm|Initiative|Regelung|Zahlen|Ergebnis|Ergebnisse)\b"),
    demonstrative=re.compile(r"\b(?:diese[rsmn]?|jene[rsmn]?)\s+([A-ZÄÖÜ][\wäöüß-]*)", re.IGNORECASE),
    time_nouns=_words("jahr woche monat wochenende sommer winter herbst frühjahr frühling morgen abend saison "
                      "tag tage jahres monats"),
    anywhere=re.compile(r"\b(?:jedoch|allerdings|außerdem|ebenfalls|am (?:nächsten|folgenden|selben) (?:Tag|Morgen|"
                        r"Abend)|tags darauf|am Tag darauf|an diesem Tag|(?:Stunden|Tage|Wochen|Monate) später|"
                        r"kurz darauf|zuvor)\b", re.IGNORECASE),
    contrast=re.compile(r"^[„»\"]?(?:aber|doch|jedoch|allerdings|dennoch|trotzdem|tatsächlich)\b", re.IGNORECASE),
    honorific=re.compile(r"\b(?:Herr|Herrn|Frau|Dr\.|Prof\.)\s+(" + UPPER + r"[\wäöüß'’-]+)\b(?!\s+" + UPPER + ")"),
    lone_speaker=re.compile(r"(?:^\s*|[,;]\s+|\bund\s+)[„»\"]?(" + UPPER + r"[a-zäöüß][\wäöüß'’-]+)\s+(?:sagte|"
                            r"erklärte|betonte|warnte|meinte|fügte)\b|\b(?:sagte|erklärte|betonte|meinte)\s+("
                            + UPPER + r"[a-zäöüß][\wäöüß'’-]+)\s*[.,]"),
)

FRENCH = Rules(
    code="fr",
    abbrev=_words("""mme mmes mlle mlles me mgr dr pr st ste ex env cf av bd vol art no n° tél p.ex janv févr
        avr juil sept oct nov déc vs"""),
    ends_before_opener=_words("s.a sa s.a.s"),
    openers=_words("""Le La Les Un Une Des Il Elle Ils Elles On Nous Je Ce Cette Ces Mais Et En Dans Au Aux À
        Pour Par Selon Depuis Après Avant Lors Cependant Toutefois Pourtant Ainsi Alors Si Quand Lorsque Comme
        Pendant Son Sa Ses Leur Leurs Du De"""),
    ordinals=False,
    quotes=(("«", "»"), ("“", "”"), ('"', '"')),
    closers="»”\"'’)]",
    speech=_verbs(_FR_SPEECH),
    dangling=_words("""il elle ils elles ce cette ces cet celui celle ceux celles cela ça mais cependant toutefois
        pourtant néanmoins ainsi aussi donc puis ensuite et ou or lui leur leurs son sa ses également alors là
        d'ailleurs d’ailleurs"""),
    dangling_phrase=re.compile(r"^(?:par ailleurs|en outre|de plus|en revanche|par contre|malgré tout|de son côté|"
                               r"de leur côté|quant à (?:lui|elle|eux)|à ce moment|depuis lors|dans ce cas)\b",
                               re.IGNORECASE),
    not_pointing=re.compile(r"^(?:Il\s+(?:y\s+a|faut|est\s+(?:possible|probable|prévu|question))|C['’]est\s+la\s+"
                            r"première|(?:Cette|Ce|Cet)\s+(?:année|semaine|mois|week-end|été|hiver|automne|printemps|"
                            r"matin|soir|saison)\b)"),
    reference=re.compile(r"^(?:La|Le|Les|L['’])\s*(?:mesure|mesures|décision|projet|plan|proposition|accord|texte|"
                         r"réforme|étude|rapport|annonce|initiative|vente|rachat|fusion|attaque|incident|réunion|"
                         r"rencontre|vote|dispositif|démarche|chiffres|résultats)\b"),
    demonstrative=re.compile(r"\b(?:ce|cet|cette|ces)\s+([a-zàâçéèêëîïôûùüÿœ][\w'’-]*)", re.IGNORECASE),
    time_nouns=_words("année semaine mois week-end été hiver automne printemps matin soir saison jour jours "
                      "années dernières derniers"),
    anywhere=re.compile(r"\b(?:cependant|toutefois|néanmoins|par ailleurs|le lendemain|la veille|le jour même|"
                        r"l['’](?:a|ont|avait) (?:répété|dit|affirmé|confirmé|annoncé|souligné|rappelé|assuré)|"
                        r"ce jour-là|(?:quelques|deux|trois|\d+) (?:heures|jours|semaines|mois) plus tard)\b",
                        re.IGNORECASE),
    contrast=re.compile(r"^[«\"]?\s?(?:mais|cependant|toutefois|pourtant|néanmoins|en réalité)\b", re.IGNORECASE),
    honorific=re.compile(r"(?<![\w.])(?:M\.|Mme|Mlle|Me|Dr|Pr)\s+(" + UPPER + r"[\wàâçéèêëîïôûùüÿœ'’-]+)\b"
                         r"(?!\s+" + UPPER + ")"),
    lone_speaker=re.compile(r"(?:^\s*|[,;]\s+)(" + UPPER + r"[a-zàâçéèêëîïôûùüÿœ][\w'’-]+)\s+a\s+(?:déclaré|dit|"
                            r"affirmé|expliqué|souligné|ajouté|estimé)\b|\b(?:a\s+)?(?:déclaré|affirmé|expliqué|"
                            r"souligné|ajouté|estimé|dit)\s+(" + UPPER + r"[a-zàâçéèêëîïôûùüÿœ][\w'’-]+)\s*[.,]"),
)

SPANISH = Rules(
    code="es",
    abbrev=_words("""sr sra srta sres dr dra d dña ee ej núm nro pág av avda aprox lic ing tel admón gral prof
        vs ene feb abr jun jul ago sept oct nov dic"""),
    ends_before_opener=_words("uu s.a"),
    openers=_words("""El La Los Las Un Una Unos Unas Él Ella Ellos Ellas Este Esta Estos Estas Pero Y En Por
        Para Con Según Desde Tras Antes Después Sin Además También Así Cuando Si Como Durante Al Del Lo No Ya Hoy
        Ayer Su Sus Se"""),
    ordinals=False,
    quotes=(("«", "»"), ("“", "”"), ('"', '"')),
    closers="»”\"'’)]",
    speech=_verbs(_ES_SPEECH),
    dangling=_words("""él ella ellos ellas este esta esto estos estas ese esa eso esos esas aquel aquella pero
        además también asimismo así entonces y o su sus dicho dicha dichos dichas tampoco igualmente"""),
    dangling_phrase=re.compile(r"^(?:sin embargo|no obstante|por eso|por ello|por lo tanto|por su parte|"
                               r"aun así|a su vez|en cambio|por otro lado|de hecho|en ese caso|desde entonces)\b",
                               re.IGNORECASE),
    not_pointing=re.compile(r"^(?:Est[ea]s?|Es[ea])\s+(?:año|semana|mes|fin de semana|verano|invierno|otoño|"
                            r"primavera|mañana|noche|temporada)\b"),
    reference=re.compile(r"^(?:La|El|Los|Las)\s+(?:medida|medidas|decisión|plan|proyecto|propuesta|acuerdo|"
                         r"reforma|estudio|informe|iniciativa|norma|ley|anuncio|venta|compra|fusión|ataque|"
                         r"incidente|reunión|encuentro|votación|cifras|resultados)\b"),
    demonstrative=re.compile(r"\b(?:este|esta|estos|estas|ese|esa|esos|esas|dich[oa]s?)\s+([a-záéíóúñü][\w-]*)",
                             re.IGNORECASE),
    time_nouns=_words("año semana mes verano invierno otoño primavera mañana noche temporada día días años "
                      "lunes martes miércoles jueves viernes sábado domingo"),
    anywhere=re.compile(r"\b(?:sin embargo|no obstante|al día siguiente|la víspera|ese mismo día|aquel día|"
                        r"(?:horas|días|semanas|meses) (?:después|más tarde))\b", re.IGNORECASE),
    contrast=re.compile(r"^[«\"¡¿]?\s?(?:pero|sin embargo|no obstante|aun así|en realidad)\b", re.IGNORECASE),
    honorific=re.compile(r"\b(?:Sr\.|Sra\.|Srta\.|señor|señora|Dr\.|Dra\.|don|doña)\s+(" + UPPER +
                         r"[\wáéíóúñü'’-]+)\b(?!\s+" + UPPER + ")"),
    lone_speaker=re.compile(r"(?:^\s*|[,;]\s+)(" + UPPER + r"[a-záéíóúñü][\wáéíóúñü'’-]+)\s+(?:dijo|afirmó|"
                            r"declaró|explicó|aseguró|señaló|añadió)\b|\b(?:dijo|afirmó|declaró|explicó|aseguró|"
                            r"señaló|añadió)\s+(" + UPPER + r"[a-záéíóúñü][\wáéíóúñü'’-]+)\s*[.,]"),
)

_RULES = {r.code: r for r in (GERMAN, FRENCH, SPANISH)}


def rules(language: str | None) -> Rules | None:
    """The words of `language` ("de", "fr", "es"), or None: English, or one digest has no words for."""
    return _RULES.get((language or "en").lower())


def known() -> tuple[str, ...]:
    """The languages with their own rules, beside English."""
    return tuple(_RULES)
