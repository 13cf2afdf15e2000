"""The page registry: which pages exist for whom. Declared once; app.py builds st.navigation.

Reading pages are served everywhere, the public instance included. Editing pages are never
registered on the public instance, and each one re-checks the role at its top anyway
(`perr_ui.auth.require_editor`), because a registered-or-not page is not access control.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    url_path: str
    default: bool = False


READING_PAGES = [
    PageSpec("pages/couverture.py", "Couverture", ":material/dashboard:", "Tableau de bord",
             "couverture", default=True),
    PageSpec("pages/accueil.py", "Territoires", ":material/map:", "Tableau de bord",
             "territoires"),
    PageSpec("pages/actions.py", "Actions", ":material/list_alt:", "Tableau de bord", "actions"),
    PageSpec("pages/engagements.py", "Engagements des communes", ":material/handshake:",
             "Tableau de bord", "engagements"),
    PageSpec("pages/referentiel.py", "Référentiel", ":material/account_tree:", "Tableau de bord",
             "referentiel"),
    PageSpec("pages/quartier.py", "Quartier", ":material/location_city:", "Tableau de bord",
             "quartier"),
    PageSpec("pages/evaluation.py", "Évaluation", ":material/monitoring:", "Tableau de bord", "evaluation"),
    PageSpec("pages/copil.py", "Document COPIL", ":material/picture_as_pdf:", "Tableau de bord",
             "copil"),
    PageSpec("pages/glossaire.py", "Les mots du tableau de bord", ":material/menu_book:",
             "Tableau de bord", "mots"),
    PageSpec("pages/a_propos.py", "À propos", ":material/info:", "Tableau de bord", "a-propos"),
]

SIGN_IN_PAGE = PageSpec("pages/connexion.py", "Connexion", ":material/login:", "Compte",
                        "connexion")

EDITING_PAGES = [
    PageSpec("pages/saisie_action.py", "Saisir une action", ":material/edit_note:", "Saisie",
             "saisie"),
    PageSpec("pages/import_programmation.py", "Importer une programmation", ":material/upload:",
             "Saisie", "import-programmation"),
    PageSpec("pages/saisie_indicateurs.py", "Saisir des indicateurs", ":material/query_stats:", "Saisie", "saisie-indicateurs"),
]

ADMIN_PAGES = [
    PageSpec("pages/import_postes.py", "Importer les postes ANCT", ":material/badge:",
             "Administration", "import-postes"),
    PageSpec("pages/import_geo.py", "Importer les périmètres", ":material/layers:",
             "Administration", "import-geo"),
    PageSpec("pages/import_protocole.py", "Importer un protocole", ":material/description:",
             "Administration", "import-protocole"),
    PageSpec("pages/creer_territoire.py", "Créer un territoire", ":material/add_location_alt:",
             "Administration", "creer-territoire"),
    PageSpec("pages/modifier_referentiel.py", "Modifier le référentiel", ":material/edit_document:",
             "Administration", "modifier-referentiel"),
    PageSpec("pages/comptes.py", "Comptes", ":material/group:", "Administration", "comptes"),
]


def home_page() -> PageSpec:
    """The page the root address forwards to (with its query parameters)."""
    return next(s for s in READING_PAGES if s.default)


def pages_for(public: bool, role: str | None) -> list[PageSpec]:
    """What the menu lists for this instance and role (only pages whose file exists)."""
    specs = list(READING_PAGES)
    if not public:
        specs.append(SIGN_IN_PAGE)
        if role in ("editor", "admin"):
            specs += EDITING_PAGES
        if role == "admin":
            specs += ADMIN_PAGES
    return [s for s in specs if (ROOT / s.path).exists()]
