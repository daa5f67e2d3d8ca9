"""Land supervision's rules as plain functions: the idle-land clocks (闲置土地), contract
compliance (履约) and the 亩均效益 evaluation. No database, no HTTP."""
