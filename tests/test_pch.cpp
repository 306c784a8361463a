// Builds the precompiled header of the test programs (test_pch.hpp).
