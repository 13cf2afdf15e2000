from perr_model.cli import main

raise SystemExit(main())
