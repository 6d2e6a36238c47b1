// Dubbo's RpcException as far as Hessian sees it (its one field), so TriplePeer reads the exception a provider's
// GenericFilter throws (an unknown method...) as a Java generic consumer, which has Dubbo's class, reads it.
package org.apache.dubbo.rpc;

public class RpcException extends RuntimeException {
    private int code;

    public RpcException() {}

    public int getCode() {
        return code;
    }
}
