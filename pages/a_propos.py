"""À propos: sources, licences and dates of each dataset, and how the figures are computed."""
import streamlit as st

from perr_model.figures import places
from perr_model import vocabulary as v
from perr_ui import common, tables, widgets as w
from perr_ui.frame import require_app_frame

require_app_frame()  # never run outside app.py's navigation (see perr_ui/frame.py)

st.title("À propos")
st.markdown("""
Ce tableau de bord suit la mise en œuvre des **protocoles d'engagements réciproques et renforcés
(PERR)** des contrats de ville : les axes et objectifs fixés par chaque protocole, les engagements
des communes, et les **actions** qui les servent, avec leurs financements.
""")
if common.is_public():
    st.info("Instance publique, en lecture seule : aucune donnée personnelle (nom, courriel ou "
            "téléphone d'une personne) n'y est affichée ni exportée.", icon=":material/lock:")

st.header("Jeux de données")
data = w.cached(places.datasets)
if data.empty:
    st.caption("Aucun jeu de données n'est enregistré dans la base.")
else:
    # sources as people name them (no file name, path or column name); the technical notes
    # (transformations of the extracts) are for the administrators' instance
    shown = data.assign(Source=data["Source"].map(v.human_source))
    columns = ["Jeu de données", "Source", "Licence", "Date des données", "Chargé le", "Lignes"]
    if not common.is_public():
        columns.append("Note")
    tables.table(shown, {c: c for c in columns}, title="Jeu de données",
                 kinds={"Chargé le": "date", "Lignes": "number"},
                 caption="Jeux de données chargés dans la base, avec leur source et leur date")

st.header("Comment les chiffres sont calculés")
st.markdown("""
- **Action comptée** : action non archivée du territoire choisi. Avec une année, l'action doit
  se dérouler cette année-là (année de début ≤ année ≤ année de fin) ; une action sans année
  n'est comptée que pour « toutes les années ».
- **Action qui sert un axe** : rattachée à l'axe directement, à l'un de ses objectifs
  opérationnels, ou à un engagement de commune classé dans cet axe. Une action n'est comptée
  qu'une fois par axe, même si elle y est rattachée de plusieurs façons.
- **Commune touchée** : commune rattachée à l'action, ou commune de l'un de ses quartiers.
  Une action de plusieurs communes compte dans chacune ; les totaux du territoire la comptent une fois.
- **Montants** : somme des montants *accordés* des lignes de financement des actions comptées
  (avec une année : les lignes de cette année). Les postes adultes-relais et FONJEP financés
  par l'État au titre d'un contrat de ville ne sont pas des actions et ne sont pas inclus.
- **Objectifs couverts** : objectifs opérationnels servis directement par au moins une action.
  Les « angles morts » sont les objectifs qu'aucune action ne sert.
- **Exemples d'actions** du protocole : des idées citées par le texte, jamais comptées comme
  des actions.
- **Données de démonstration** : un territoire fictif peut être généré pour essayer l'outil ;
  il est signalé partout par la mention « démonstration » et n'est jamais mélangé aux données réelles.
""")
st.header("Licences")
st.markdown("Les données publiques réutilisées (ANCT, IGN, INSEE) sont publiées sous la "
            "**Licence Ouverte / Open Licence 2.0** (Etalab) : réutilisation libre avec mention "
            "de la source et de la date, indiquées dans le tableau ci-dessus.")
