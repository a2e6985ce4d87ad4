from classifier_monitor.cli import main

raise SystemExit(main())
