// Fixture for the layering test: southbound/ must never include northbound/.
#include "northbound/tuf_client.h"
