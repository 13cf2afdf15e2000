"""Streamlit's own words in French, and `<html lang="fr">`.

Streamlit 1.67 has no locale setting: its front end writes English strings of its own (skip
link, "View N more" in the navigation, multiselect "Select all" / "Choose an option" / "No
results", the file uploader's "Drag and drop file here" / "Limit 200MB per file" / "Browse
files", "Running..." / "Stop", the viewer menu, "Made with Streamlit", "Page not found", the
error box of an app whose error details are hidden) and
serves `<html lang="en">`. What public parameters reach is set where the widget is made
(`placeholder=`, `st.navigation(expanded=True)`, our own French upload captions); the rest is
done here, once per page load, by a small script that runs in the page itself (`st.html(...,
unsafe_allow_javascript=True)`: not an iframe, so nothing for axe's `frame-title` rule):

- it sets `document.documentElement.lang = "fr"` and keeps it so;
- a MutationObserver replaces the known English texts, placeholders, titles and aria-labels
  (exact strings, or the few patterns with a number in them) as Streamlit draws them.

Only text nodes and those attributes are touched, with fixed French strings: no HTML is built
from anything, and nothing from the data passes through this script. Streamlit's served
index.html is never modified. See docs/accessibility.md.
"""
from __future__ import annotations

import json

import streamlit as st
from streamlit.elements.exception import _GENERIC_UNCAUGHT_EXCEPTION_TEXT as GENERIC_ERROR

from perr_ui.serving import PUBLIC_ERROR

from perr_model.vocabulary import MONTHS

# Exact strings drawn by Streamlit's front end (1.67) → French.
EXACT = {
    "Skip to main content": "Aller au contenu principal",
    "View less": "Voir moins",
    "Select all": "Tout sélectionner",
    "Clear all": "Tout effacer",
    "Choose an option": "Choisir une option",
    "Choose options": "Choisir des options",
    "No results": "Aucun résultat",
    "No options to select.": "Aucune option disponible.",
    "Drag and drop a file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Add files": "Ajouter des fichiers",
    "Show password": "Afficher le mot de passe",
    "Hide password": "Masquer le mot de passe",
    "Upload": "Téléverser",
    "Delete": "Supprimer",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Rerun": "Relancer",
    "Main menu": "Menu principal",
    "Print": "Imprimer",
    "Record a screencast": "Enregistrer l'écran",
    "Settings": "Paramètres",
    "About": "À propos de Streamlit",
    "Clear cache": "Vider le cache",
    "Made with Streamlit": "Réalisé avec Streamlit",
    "Page not found": "Page introuvable",
    "Made with Streamlit v": "Réalisé avec Streamlit v",
    "Cancel": "Annuler",
    "Copy": "Copier",
    "Try again": "Réessayer",
    "Script execution error": "Erreur d'exécution",
    "Date range": "Période",
    "Always rerun": "Toujours relancer",
    "Clear caches": "Vider les caches",
    "Uploading...": "Envoi en cours…",
    "Close": "Fermer",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Exit fullscreen": "Quitter le plein écran",
    "Download as CSV": "Télécharger en CSV",
    # data frame toolbar and column menu
    "Show/hide columns": "Afficher ou masquer des colonnes",
    "Add row": "Ajouter une ligne",
    "Delete row(s)": "Supprimer la ou les lignes",
    "Clear selection": "Effacer la sélection",
    "Toggle fullscreen": "Plein écran",
    "Download as PNG": "Télécharger en PNG",
    "Sort ascending": "Tri croissant",
    "Sort descending": "Tri décroissant",
    "Autosize": "Largeur automatique",
    "Pin column": "Épingler la colonne",
    "Unpin column": "Détacher la colonne",
    "Hide column": "Masquer la colonne",
    "Search": "Rechercher",
    "Copy to clipboard": "Copier",
    "Collapse sidebar": "Replier le menu latéral",
    "Expand sidebar": "Déplier le menu latéral",
    # date_input placeholders: the `format=` given in Python, and the empty segments of the
    # date field (react-aria writes "dd", "mm", "yyyy" whatever the format's language)
    "dd": "jj",
    "yyyy": "aaaa",
    "YYYY/MM/DD": "AAAA/MM/JJ",
    "DD/MM/YYYY": "JJ/MM/AAAA",
    "MM/DD/YYYY": "MM/JJ/AAAA",
    "Connecting": "Connexion en cours",
    "Please wait...": "Veuillez patienter…",
    "Increment": "Augmenter",
    "Decrement": "Diminuer",
    "Open": "Ouvrir",
    # the error box of `streamlit run app.py` with showErrorDetails "none" (serve.py shows
    # this sentence itself: perr_ui/serving.py)
    GENERIC_ERROR: PUBLIC_ERROR,
    # date_input (react-aria, drawn by Streamlit in the "en-US" locale whatever the browser's):
    # the calendar's buttons and an empty segment's spoken value (aria-valuetext)
    "Previous month": "Mois précédent",
    "Next month": "Mois suivant",
    "Choose date": "Choisir une date",
    "Choose date range": "Choisir une période",
    "Clear date": "Effacer la date",
    "Clear dates": "Effacer les dates",
    "Empty": "Vide",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.":
        "Flèches : changer de jour. Entrée : choisir. Échap : fermer.",
}

# Strings with a number or a name in them: (JavaScript regular expression, replacement).
PATTERNS = [
    (r"^View (\d+) more$", "Voir $1 de plus"),
    (r"^(?:Limit )?(\d+(?:\.\d+)?)\s*([KMG])B per file(.*)$", "Limite : $1 $2o par fichier$3"),
    (r"^Select (\d+) matches$", "Sélectionner les $1 résultats"),
    (r"^Press Enter to (apply|submit form)$", "Appuyez sur Entrée pour valider"),
    (r"^Help for (.+)$", "Aide : $1"),
    (r"^(\d+(?:\.\d+)?)\s*([KMG])B$", "$1 $2o"),
    (r"^You have requested page /?(.*), but no corresponding file was found in the app's "
     r"pages/ directory\. Running the app's main page\.$",
     "La page demandée (« $1 ») n'existe pas ou n'est pas accessible ici : "
     "voici la page d'accueil."),
    (r"^The page that you have requested does not seem to exist\. Running the app's main "
     r"page\.$", "La page demandée n'existe pas ou n'est pas accessible ici : voici la page "
     "d'accueil."),
    (r"^(\d+) (selected|options selected)$", "$1 sélectionné(s)"),
    # a date segment's spoken name: react-aria's segment type, then the field's label
    (r"^(\d+) options? available\.$", "$1 option(s) disponible(s)."),
    (r"^day, (.+)$", "jour, $1"),
    (r"^month, (.+)$", "mois, $1"),
    (r"^year, (.+)$", "année, $1"),
    (r"^(.+) start date$", "$1, date de début"),
    (r"^(.+) end date$", "$1, date de fin"),
]

# English month and day names in the date field's spoken values and its calendar (« 7 – July »,
# « September 2022 », « Monday, September 1, 2022 »): rewritten by `dates()` in the script.
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAYS_FR = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]

ATTRIBUTES = ["placeholder", "aria-label", "title", "aria-valuetext"]
DATE_FORMATS = {"YYYY/MM/DD", "DD/MM/YYYY", "MM/DD/YYYY", "dd", "yyyy"}  # not literal in bundle
FROM_SERVER = {GENERIC_ERROR}  # written by Streamlit's Python side, not by its front end

_SCRIPT = """
<script>
(function () {
  const w = window;
  if (w.__perrFrench) { return; }
  w.__perrFrench = true;
  const EXACT = %(exact)s;
  const PATTERNS = %(patterns)s.map(([re, to]) => [new RegExp(re), to]);
  const ATTRS = %(attrs)s;
  const MONTHS = %(months)s;
  const DAYS = %(days)s;
  const M = "(" + Object.keys(MONTHS).join("|") + ")";
  const D = "(" + Object.keys(DAYS).join("|") + ")";
  const DATES = [
    [new RegExp("^(\\\\d{1,2}) – " + M + "$"), (m) => m[1] + " – " + MONTHS[m[2]]],
    [new RegExp("^" + M + " (\\\\d{4})$"), (m) => MONTHS[m[1]] + " " + m[2]],
    [new RegExp("^" + M + "$"), (m) => MONTHS[m[1]]],
    [new RegExp("^" + D + "$"), (m) => DAYS[m[1]]],
    [new RegExp("^(?:" + D + ", )?" + M + " (\\\\d{1,2}), (\\\\d{4})(.*)$"),
     (m) => (m[1] ? DAYS[m[1]] + " " : "") + (m[3] === "1" ? "1er" : m[3]) + " " +
            MONTHS[m[2]] + " " + m[4] + (m[5] || "").replace("selected", "sélectionnée")],
    [/^Choose date, (.+)$/, (m) => "Choisir une date, " + (dates(m[1]) || m[1])],
    [/^Selected Date: (.+)$/, (m) => "Date choisie : " + (dates(m[1]) || m[1])],
  ];
  const doc = document;
  function dates(t) {
    for (const [re, to] of DATES) { const m = t.match(re); if (m) { return to(m); } }
    return null;
  }
  function fr(s) {
    if (!s) { return null; }
    const t = s.trim();
    if (Object.prototype.hasOwnProperty.call(EXACT, t)) { return s.replace(t, EXACT[t]); }
    for (const [re, to] of PATTERNS) { if (re.test(t)) { return s.replace(t, t.replace(re, to)); } }
    const d = dates(t);
    return d === null ? null : s.replace(t, d);
  }
  function text(node) {
    const v = fr(node.nodeValue);
    if (v !== null && v !== node.nodeValue) { node.nodeValue = v; }
  }
  function attrs(el) {
    for (const a of ATTRS) {
      const old = el.getAttribute(a);
      if (old === null) { continue; }
      const v = fr(old);
      if (v !== null && v !== old) { el.setAttribute(a, v); }
    }
  }
  function walk(root) {
    if (root.nodeType === 3) { text(root); return; }
    if (root.nodeType !== 1) { return; }
    if (root.closest && root.closest('[data-perr-data]')) { return; }
    attrs(root);
    const it = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    let n;
    while ((n = it.nextNode())) { if (n.nodeType === 3) { text(n); } else { attrs(n); } }
  }
  // Navigation markup: Streamlit 1.67 draws a UL holding, per section, a DIV with the section
  // HEADER and the LI items: no valid list (axe "list", "listitem"). Roles only, React's nodes
  // stay in place: the UL becomes a plain container, each section's DIV the list.
  function nav() {
    doc.querySelectorAll('ul[data-testid="stSidebarNavItems"]').forEach((ul) => {
      if (ul.getAttribute("role") !== "none") { ul.setAttribute("role", "none"); }
      for (const child of ul.children) {
        if (child.tagName === "DIV" && child.getAttribute("role") !== "list") {
          child.setAttribute("role", "list");
          const h = child.querySelector('header[data-testid="stNavSectionHeader"]');
          if (h) { child.setAttribute("aria-label", h.innerText.trim()); }
        }
      }
      ul.querySelectorAll('header[data-testid="stNavSectionHeader"]').forEach((h) => {
        if (h.getAttribute("role") !== "none") { h.setAttribute("role", "none"); }
      });
    });
  }
  function lang() {
    if (doc.documentElement.lang !== "fr") { doc.documentElement.lang = "fr"; }
  }
  lang();
  walk(doc.body);
  nav();
  new MutationObserver((records) => {
    let added = false;
    for (const r of records) {
      if (r.type === "childList" && r.addedNodes.length) { added = true; }
      if (r.type === "childList") { r.addedNodes.forEach(walk); }
      else if (r.type === "characterData") { text(r.target); }
      else if (r.type === "attributes") {
        if (r.target === doc.documentElement) { lang(); } else { attrs(r.target); }
      }
    }
    if (added) { nav(); }
  }).observe(doc.documentElement, {subtree: true, childList: true, characterData: true,
                                   attributes: true, attributeFilter: ATTRS.concat(["lang"])});
})();
</script>
"""


def script() -> str:
    """The script, with the French strings as JSON (constants only)."""
    return _SCRIPT % {"exact": json.dumps(EXACT, ensure_ascii=False),
                      "patterns": json.dumps(PATTERNS, ensure_ascii=False),
                      "attrs": json.dumps(ATTRIBUTES),
                      "months": json.dumps(dict(zip(MONTHS_EN, MONTHS)), ensure_ascii=False),
                      "days": json.dumps(dict(zip(DAYS_EN, DAYS_FR)), ensure_ascii=False)}


def install() -> None:
    """Called once per run by app.py (the browser installs the observer once per page load)."""
    with st.sidebar:
        st.html(script(), unsafe_allow_javascript=True)
