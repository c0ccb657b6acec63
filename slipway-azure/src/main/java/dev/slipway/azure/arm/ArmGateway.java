package dev.slipway.azure.arm;

import com.azure.core.http.policy.ExponentialBackoff;
import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.exception.ManagementException;
import com.azure.core.management.profile.AzureProfile;
import com.azure.core.management.polling.PollResult;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.resourcemanager.compute.ComputeManager;
import com.azure.resourcemanager.compute.fluent.VirtualMachinesClient;
import com.azure.resourcemanager.resources.ResourceManager;
import com.azure.resourcemanager.resources.fluent.ResourcesClient;
import com.azure.resourcemanager.resources.fluent.models.GenericResourceExpandedInner;
import com.azure.resourcemanager.resources.fluent.models.GenericResourceInner;
import com.azure.resourcemanager.resources.models.Identity;
import com.azure.resourcemanager.resources.models.ResourceIdentityType;
import com.azure.resourcemanager.resources.models.Sku;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The few ARM calls the provisioner makes, over azure-resourcemanager: generic PUT/GET/DELETE by
 * resource id with each type's pinned api-version (long-running operations polled by the SDK
 * through Azure-AsyncOperation or Location), listing a resource group by tag, and VM
 * deallocate/start/instance view through the compute client. Nothing else of the SDK leaks out:
 * callers see {@link ArmObject} and plain maps.
 */
public final class ArmGateway {
  private final ResourcesClient resources;
  private final VirtualMachinesClient vms;
  private final Duration pollInterval;

  private ArmGateway(ResourcesClient resources, VirtualMachinesClient vms, Duration pollInterval) {
    this.resources = resources;
    this.vms = vms;
    this.pollInterval = pollInterval;
  }

  public static ArmGateway connect(ArmConnection c) {
    String endpoint = c.endpoint().toString().endsWith("/") ? c.endpoint().toString() : c.endpoint() + "/";
    AzureEnvironment env = AzureEnvironment.AZURE;
    if (!endpoint.equals(ArmConnection.PUBLIC_CLOUD.toString())) {
      // Another ARM (a sovereign cloud, a test fake): the public cloud's endpoints with ARM's replaced.
      Map<String, String> endpoints = new java.util.HashMap<>(AzureEnvironment.AZURE.getEndpoints());
      endpoints.put("resourceManagerEndpointUrl", endpoint);
      endpoints.put("managementEndpointUrl", endpoint);
      env = new AzureEnvironment(endpoints);
    }
    AzureProfile profile = new AzureProfile(c.tenantId().orElse(null), c.subscriptionId(), env);
    RetryPolicy retry = new RetryPolicy(new ExponentialBackoff(3, c.retryDelay(), c.retryDelay().multipliedBy(8)));
    ResourceManager.Configurable rc = ResourceManager.configure().withRetryPolicy(retry).withLogLevel(HttpLogDetailLevel.NONE);
    ComputeManager.Configurable cc = ComputeManager.configure().withRetryPolicy(retry).withLogLevel(HttpLogDetailLevel.NONE);
    if (c.httpClient().isPresent()) {
      rc = rc.withHttpClient(c.httpClient().get());
      cc = cc.withHttpClient(c.httpClient().get());
    }
    ResourceManager rm = rc.authenticate(c.credential(), profile).withSubscription(c.subscriptionId());
    ComputeManager cm = cc.authenticate(c.credential(), profile);
    return new ArmGateway(rm.genericResources().manager().serviceClient().getResources(), cm.serviceClient().getVirtualMachines(),
        c.pollInterval());
  }

  /** GET by id; empty on 404. */
  public Optional<ArmObject> get(String id, String apiVersion) {
    try {
      return Optional.of(toObject(resources.getById(relative(id), apiVersion)));
    } catch (ManagementException e) {
      if (e.getResponse() != null && e.getResponse().getStatusCode() == 404) {
        return Optional.empty();
      }
      throw failure("read", id, e);
    }
  }

  /** PUT by id, waiting for the long-running operation to end; returns the resource as ARM then has it. */
  public ArmObject put(String id, String apiVersion, Map<String, Object> body) {
    GenericResourceInner inner = toInner(body);
    try {
      SyncPoller<PollResult<GenericResourceInner>, GenericResourceInner> poller =
          resources.beginCreateOrUpdateById(relative(id), apiVersion, inner);
      poller.setPollInterval(pollInterval);
      finish(poller, "create", id);
      return toObject(poller.getFinalResult());
    } catch (ManagementException e) {
      throw failure("create", id, e);
    }
  }

  /** DELETE by id, waiting for it to finish; false when it was already gone. */
  public boolean delete(String id, String apiVersion) {
    try {
      SyncPoller<PollResult<Void>, Void> poller = resources.beginDeleteById(relative(id), apiVersion);
      poller.setPollInterval(pollInterval);
      finish(poller, "delete", id);
      return true;
    } catch (ManagementException e) {
      if (e.getResponse() != null && (e.getResponse().getStatusCode() == 404 || e.getResponse().getStatusCode() == 204)) {
        return false;
      }
      throw failure("delete", id, e);
    }
  }

  /**
   * The resources of a group that carry {@code tag: value}, by ARM's own tag filter (never a name
   * match); a group that does not exist has none.
   */
  public List<ArmObject> listTagged(String resourceGroup, String tag, String value) {
    String filter = "tagName eq '" + tag + "' and tagValue eq '" + value + "'";
    List<ArmObject> out = new ArrayList<>();
    try {
      for (GenericResourceExpandedInner r : resources.listByResourceGroup(resourceGroup, filter, null, null, com.azure.core.util.Context.NONE)) {
        Map<String, String> tags = r.tags() == null ? Map.of() : r.tags();
        // ARM filters server-side; checked again so a broken filter can never widen a destroy.
        if (value.equals(tags.get(tag))) {
          out.add(new ArmObject(r.id(), r.type(), tags, Optional.ofNullable(r.provisioningState()), Optional.empty(), Map.of()));
        }
      }
    } catch (ManagementException e) {
      if (e.getResponse() != null && e.getResponse().getStatusCode() == 404) {
        return List.of();
      }
      throw failure("list", "resource group " + resourceGroup, e);
    }
    return out;
  }

  public void deallocate(String resourceGroup, String vm) {
    powerOperation("deallocate", vm, () -> vms.beginDeallocate(resourceGroup, vm));
  }

  public void start(String resourceGroup, String vm) {
    powerOperation("start", vm, () -> vms.beginStart(resourceGroup, vm));
  }

  /** A VM power operation (a long-running ARM call) polled to its end; ARM's refusal becomes one {@code failure}. */
  private void powerOperation(String verb, String vm, java.util.function.Supplier<SyncPoller<PollResult<Void>, Void>> begin) {
    try {
      SyncPoller<PollResult<Void>, Void> poller = begin.get();
      poller.setPollInterval(pollInterval);
      finish(poller, verb, "VM " + vm);
    } catch (ManagementException e) {
      throw failure(verb, "VM " + vm, e);
    }
  }

  /** The VM's power state ({@code running}, {@code deallocated}, {@code stopped}...), empty if the VM does not exist. */
  public Optional<String> powerState(String resourceGroup, String vm) {
    try {
      var view = vms.instanceView(resourceGroup, vm);
      if (view.statuses() != null) {
        for (var s : view.statuses()) {
          if (s.code() != null && s.code().startsWith("PowerState/")) {
            return Optional.of(s.code().substring("PowerState/".length()));
          }
        }
      }
      return Optional.of("unknown");
    } catch (ManagementException e) {
      if (e.getResponse() != null && e.getResponse().getStatusCode() == 404) {
        return Optional.empty();
      }
      throw failure("read the instance view of", "VM " + vm, e);
    }
  }

  /** Waits for a long-running operation; one that ends Failed or Canceled becomes an ArmException with ARM's error. */
  private static <T> void finish(SyncPoller<PollResult<T>, T> poller, String verb, String what) {
    PollResponse<PollResult<T>> last = poller.waitForCompletion();
    if (last.getStatus() == LongRunningOperationStatus.SUCCESSFULLY_COMPLETED) {
      return;
    }
    PollResult.Error error = last.getValue() == null ? null : last.getValue().getError();
    throw new ArmException("cannot " + verb + " " + what + ": " + (error == null ? last.getStatus().toString() : describe(error)));
  }

  /** ARM's {@code error.code: error.message} from the operation's status document, else what the SDK says. */
  private static String describe(PollResult.Error error) {
    try {
      var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(error.getResponseBody() == null ? "{}" : error.getResponseBody());
      var e = root.path("error");
      if (e.hasNonNull("code")) {
        return e.path("code").asText() + ": " + e.path("message").asText();
      }
    } catch (java.io.IOException ignored) {
      // Not JSON: fall through to the SDK's message.
    }
    return error.getMessage();
  }

  /** The generic client's URL template is {@code {host}/{resourceId}}: an id's own leading slash would double it. */
  private static String relative(String id) {
    return id.startsWith("/") ? id.substring(1) : id;
  }

  private static ArmException failure(String verb, String what, ManagementException e) {
    String code = e.getValue() != null && e.getValue().getCode() != null ? e.getValue().getCode() : "HTTP " + e.getResponse().getStatusCode();
    String message = e.getValue() != null && e.getValue().getMessage() != null ? e.getValue().getMessage() : e.getMessage();
    return new ArmException("cannot " + verb + " " + what + ": " + code + ": " + message, e);
  }

  @SuppressWarnings("unchecked")
  private static GenericResourceInner toInner(Map<String, Object> body) {
    GenericResourceInner inner = new GenericResourceInner();
    if (body.get("location") instanceof String l) {
      inner.withLocation(l);
    }
    if (body.get("tags") instanceof Map<?, ?> t) {
      inner.withTags((Map<String, String>) t);
    }
    if (body.get("sku") instanceof Map<?, ?> s) {
      inner.withSku(new Sku().withName((String) s.get("name")).withTier((String) s.get("tier")));
    }
    if (body.get("identity") instanceof Map<?, ?> i && "SystemAssigned".equals(i.get("type"))) {
      inner.withIdentity(new Identity().withType(ResourceIdentityType.SYSTEM_ASSIGNED));
    }
    if (body.containsKey("properties")) {
      inner.withProperties(body.get("properties"));
    }
    return inner;
  }

  @SuppressWarnings("unchecked")
  private static ArmObject toObject(GenericResourceInner r) {
    Map<String, Object> props = r.properties() instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    Optional<String> state = Optional.ofNullable(props.get("provisioningState")).map(Object::toString);
    Optional<String> principal = Optional.ofNullable(r.identity()).map(Identity::principalId);
    Map<String, String> tags = r.tags() == null ? Map.of() : r.tags();
    return new ArmObject(r.id() == null ? "" : r.id(), r.type() == null ? "" : r.type(),
        tags, state, principal, props);
  }
}
