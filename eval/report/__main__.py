from eval.report import main

raise SystemExit(main())
