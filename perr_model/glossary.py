"""The words of the dashboard in plain French, defined once: the glossary page (« Les mots du
tableau de bord ») lists them, and the figures, headers and selectors that show a term take
its definition as their help text (`define`, `named`). It imports nothing of the project: the
pages, the panels and the COPIL document may all read it."""
from __future__ import annotations

import unicodedata

# term → definition (the glossary page lists them in alphabetical order: `in_order`)
TERMS: dict[str, str] = {
    "PERR": "Protocole d'engagements réciproques et renforcés : le document signé par l'État, "
            "le territoire et les communes pour prolonger et renforcer le contrat de ville. Il "
            "fixe des axes, des objectifs et les engagements de chaque commune.",
    "Contrat de ville": "L'accord entre l'État, les collectivités et leurs partenaires pour "
                        "améliorer la vie dans les quartiers prioritaires d'un territoire. Le "
                        "PERR en précise la mise en œuvre.",
    "Quartier prioritaire (QPV)": "Quartier de la politique de la ville, choisi par l'État "
                                  "parce que les revenus de ses habitants y sont bas. Il reçoit "
                                  "des moyens en plus. « QPV » veut dire « quartier prioritaire "
                                  "de la politique de la ville ».",
    "Cadre": "Le texte dont le tableau de bord lit les axes, les objectifs et les engagements "
             "pour une année : le PERR (2020-2023), puis le contrat de ville 2024-2030 quand il "
             "est chargé. La ligne « Cadre : … » sous le titre de chaque page dit lequel.",
    "EPT": "Établissement public territorial : le regroupement de communes du Grand Paris (par "
           "exemple Paris Est Marne & Bois, Paris Terres d'Envol) qui porte le contrat de ville.",
    "Axe": "Un grand thème du protocole (par exemple cohésion sociale, emploi, cadre de vie). "
           "Chaque action est classée dans un ou plusieurs axes.",
    "Objectif opérationnel": "Un but précis du protocole, à l'intérieur d'un axe : ce que les "
                             "actions doivent concrètement faire avancer.",
    "Engagement": "Ce qu'une commune a promis de faire dans le protocole, dans un thème ou un "
                  "axe. Une action peut être rattachée à un ou plusieurs engagements.",
    "Action": "Un projet mené sur le terrain (atelier, permanence, chantier, accompagnement…) par "
              "une association, une commune ou un autre organisme, pour servir le protocole.",
    "Porteur": "L'organisation qui mène une action : association, commune, bailleur, "
               "entreprise…",
    "Angle mort": "Un objectif (ou, quand le protocole n'a pas d'objectifs, un engagement) pour "
                  "lequel aucune action n'est enregistrée : une partie du protocole que rien ne "
                  "fait encore avancer.",
    "Adultes-relais": "Des postes de médiation financés par l'État : des habitants de plus de "
                      "26 ans, employés par une association ou une commune, qui font le lien "
                      "entre les habitants et les services.",
    "FONJEP": "Fonds de coopération de la jeunesse et de l'éducation populaire : une aide de "
              "l'État qui paie une partie d'un poste dans une association.",
    "Conseil citoyen": "Un groupe d'habitants et d'acteurs d'un quartier prioritaire qui "
                       "participe au contrat de ville : il donne son avis et suit les actions.",
    "COPIL": "Comité de pilotage : la réunion des signataires (État, territoire, communes, "
             "partenaires) qui fait le point sur le protocole et décide des suites.",
    "Avancement": "Où en est une action, d'après son statut : en projet 0 %, programmée 10 %, "
                  "en cours 50 %, terminée 100 %. L'avancement d'un groupe est la moyenne de "
                  "celui de ses actions.",
    "Pondération": "Le poids donné à chaque action dans une moyenne : une action compte pour "
                   "un, ou bien selon son montant ou le nombre de personnes qu'elle doit toucher.",
    "Agrégation": "Le regroupement de chiffres d'un niveau à un autre : les quartiers vers la "
                  "commune, les communes vers le territoire. Seuls les nombres s'additionnent ; "
                  "un taux ne s'additionne pas.",
    "Indicateur": "Un chiffre suivi dans le temps pour savoir si la situation change (par "
                  "exemple un taux de chômage), avec sa valeur de départ et parfois une cible.",
}


def define(term: str) -> str:
    """The definition of a term of the glossary (a KeyError for an unknown term: a typo in a
    page is caught by its test, not shown to a reader)."""
    return TERMS[term]


def in_order(terms: dict[str, str]) -> list[tuple[str, str]]:
    """(term, definition) in the order of a French glossary: accents and case ignored."""
    def key(item: tuple[str, str]) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFD", item[0].casefold())
                       if not unicodedata.combining(ch))
    return sorted(terms.items(), key=key)


def inline(term: str) -> str:
    """The definition to follow a colon in a sentence (« FONJEP : fonds de coopération… »)."""
    text = define(term)
    return text[:1].lower() + text[1:]


def named(*terms: str) -> str:
    """« Term : definition. » for each term, one after the other (a help text)."""
    return " ".join(f"{t} : {inline(t)}" for t in terms)
