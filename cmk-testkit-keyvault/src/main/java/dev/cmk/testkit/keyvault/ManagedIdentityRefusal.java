package dev.cmk.testkit.keyvault;

/**
 * How the loopback managed-identity endpoint refuses an identity that was deleted, disabled or
 * removed from the host ({@link LoopbackKeyVault#refuseManagedIdentity}): the status and JSON body
 * of the real endpoints, which is all a client (MSAL) gets to see.
 */
public enum ManagedIdentityRefusal {
  /**
   * App Service, Functions and Container Apps: {@code 400} with {@code {"statusCode":400,
   * "message":"No User Assigned or Delegated Managed Identity found for specified
   * ClientId/ResourceId/PrincipalId.","correlationId":"..."}}.
   */
  APP_SERVICE_IDENTITY_NOT_FOUND,

  /**
   * The VM / scale-set Instance Metadata Service (IMDS): {@code 400} with {@code
   * {"error":"invalid_request","error_description":"Identity not found"}}.
   */
  IMDS_IDENTITY_NOT_FOUND
}
