-- Rôle PostgreSQL de l'instance publique (PERR_PUBLIC=1) : lecture seule, rien d'autre.
-- Voir docs/public-instance.md. L'instance publique vérifie ce rôle à chaque démarrage
-- (perr_model/public_role.py) et refuse de démarrer s'il peut écrire quoi que ce soit.
--
-- À exécuter par un super-utilisateur, connecté à la base de l'application, après
-- « init-db » et après chaque migration qui ajoute une table :
--     psql -d perr -f docs/sql/public-role.sql
-- puis donner un mot de passe : ALTER ROLE perr_lecteur PASSWORD '…';
-- Pour un autre nom de rôle, remplacer « perr_lecteur » partout dans ce fichier.
-- Le script peut être rejoué : il ne crée le rôle que s'il manque.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'perr_lecteur') THEN
    CREATE ROLE perr_lecteur LOGIN;
  END IF;
END
$$;

-- Aucun attribut d'administration, membre d'aucun rôle (un rôle dont il serait membre,
-- même NOINHERIT, lui serait accessible par SET ROLE).
ALTER ROLE perr_lecteur NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
DO $$
DECLARE m record;
BEGIN
  FOR m IN SELECT r.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid
           WHERE a.member = 'perr_lecteur'::regrole LOOP
    EXECUTE format('REVOKE %I FROM perr_lecteur', m.rolname);
  END LOOP;
END
$$;

-- Lire les tables de l'application, et rien d'autre.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM perr_lecteur;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM perr_lecteur;
GRANT USAGE ON SCHEMA public TO perr_lecteur;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO perr_lecteur;

-- Aucun CREATE nulle part. PostgreSQL 15 et suivants ne donnent plus CREATE sur « public » à
-- tout le monde ; les versions antérieures si : on le retire (aux rôles qui créent des tables,
-- propriétaire du schéma compris, de l'avoir par leur propre droit).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM perr_lecteur;
DO $$
BEGIN
  EXECUTE format('REVOKE CREATE ON DATABASE %I FROM PUBLIC, perr_lecteur', current_database());
END
$$;

-- Objets larges (large objects) : PostgreSQL permet par défaut à TOUT rôle (PUBLIC) de créer,
-- modifier et supprimer des objets larges, même dans une transaction en lecture seule
-- (lo_from_bytea). Ces droits se retirent à PUBLIC seulement, donc pour tous les rôles de
-- CETTE base : l'application n'utilise pas d'objets larges ; un autre logiciel qui partage la
-- base et en a besoin doit recevoir ces droits explicitement (GRANT EXECUTE ON FUNCTION … TO …).
REVOKE EXECUTE ON FUNCTION
  pg_catalog.lo_creat(integer), pg_catalog.lo_create(oid),
  pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_import(text),
  pg_catalog.lo_import(text, oid), pg_catalog.lo_put(oid, bigint, bytea),
  pg_catalog.lo_unlink(oid), pg_catalog.lowrite(integer, bytea),
  pg_catalog.lo_truncate(integer, integer), pg_catalog.lo_truncate64(integer, bigint)
  FROM PUBLIC;

-- Facultatif : les tables créées plus tard par le propriétaire (« perr_owner » ici) seront
-- lisibles sans rejouer ce script :
-- ALTER DEFAULT PRIVILEGES FOR ROLE perr_owner IN SCHEMA public
--   GRANT SELECT ON TABLES TO perr_lecteur;
