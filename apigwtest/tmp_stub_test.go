package apigwtest

func cleanupRuntimeBuild() {}
